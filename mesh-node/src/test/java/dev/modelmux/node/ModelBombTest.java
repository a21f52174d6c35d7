package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.repo.ValueShapedModels;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose output size is a request's values (ConstantOfShape fed by an input) cannot take the
 * node down: a request for a [72000, 72000] output (20 GB) is refused with RESOURCE_EXHAUSTED over
 * gRPC and 429 over REST, with a message naming the run limit, and other models keep answering.
 */
class ModelBombTest {
    private static final long MIB = 1L << 20;
    private static final String REFUSED = "model 'bomb' version 1: the run needed more memory than the device's run"
            + " limit of 256 MiB allows (node 'grow' (ConstantOfShape) would allocate 19776 MiB for this request's"
            + " values)";

    @TempDir
    Path tmp;

    private static ModelInferRequest shape(String model, long rows, long cols) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(rows).putLong(cols);
        return ModelInferRequest.newBuilder()
                .setModelName(model)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("shape")
                        .setDatatype("INT64")
                        .addShape(2))
                .addRawInputContents(ByteString.copyFrom(b.array()))
                .build();
    }

    /** VmRSS from /proc/self/status, in bytes; -1 where it cannot be read. */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    @Test
    void aBombRequestIsRefusedOverGrpcAndRestAndTheNodeKeepsServing() {
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        repo.config("good", TestRepo.mlpConfig("good", 16, 4, 8))
                .file("good", 1, TestRepo.mlpBytes(16, 4, 50_000, 5))
                .file("bomb", 1, ValueShapedModels.constantOfShape());

        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256 * MIB, ControlMode.POLL)) {
            Reply<ModelInferResponse> small =
                    f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, shape("bomb", 2, 3));
            assertThat(small.status()).as(small.message()).isEqualTo(GrpcStatus.OK);
            assertThat(small.body().getOutputs(0).getShapeList()).containsExactly(2L, 3L);

            long rssBefore = residentBytes();
            Reply<ModelInferResponse> grpc =
                    f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, shape("bomb", 72000, 72000));
            OipClient.Http rest = f.client.post(
                    "/v2/models/bomb/infer",
                    "{\"inputs\":[{\"name\":\"shape\",\"shape\":[2],\"datatype\":\"INT64\",\"data\":[72000,72000]}]}");
            long rssAfter = residentBytes();
            System.out.printf(
                    "bomb [72000, 72000] over gRPC and REST: node VmRSS %d MiB before, %d MiB after%n",
                    rssBefore / MIB, rssAfter / MIB);

            assertThat(grpc.status()).as(grpc.message()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
            assertThat(grpc.message()).isEqualTo(REFUSED);
            assertThat(rest.status()).as(rest.body()).isEqualTo(429);
            assertThat(rest.body()).contains(REFUSED).doesNotContain("Failed to allocate");
            assertThat(rssAfter - rssBefore).as("resident set growth").isLessThan(512 * MIB);

            Reply<ModelInferResponse> good = f.client.call(
                    GRPCInferenceServiceGrpcClient.ModelInfer, fp32("good", "input", ramp(16, 1f), 1, 16));
            assertThat(good.status()).as(good.message()).isEqualTo(GrpcStatus.OK);
            Reply<ModelInferResponse> again =
                    f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, shape("bomb", 4, 4));
            assertThat(again.status()).as(again.message()).isEqualTo(GrpcStatus.OK);
        }
    }
}
