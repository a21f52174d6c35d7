package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.ModelProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.OperatorSetIdProto;
import dev.modelmux.repo.onnx.StringStringEntryProto;
import dev.modelmux.repo.onnx.TensorProto;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt and hostile artifacts are refused with a reason; the node keeps serving the rest. */
class CorruptArtifactTest {
    @TempDir
    Path tmp;

    @Test
    void hostileArtifactsAreUnavailableWithAReasonAndTheNodeSurvives() {
        byte[] good = TestRepo.mlpBytes(16, 4, 50_000, 5);
        Map<String, byte[]> bad = new LinkedHashMap<>();
        bad.put("empty", new byte[0]);
        bad.put("truncated", Arrays.copyOf(good, good.length / 2));
        byte[] random = new byte[10_000];
        new Random(9).nextBytes(random);
        bad.put("random", random);
        ModelProto mlp = OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .depth(1)
                .width(8)
                .buildProto();
        bad.put(
                "size-lies",
                mlp.toBuilder()
                        .setGraph(mlp.getGraph().toBuilder()
                                .setInitializer(
                                        0,
                                        mlp.getGraph().getInitializer(0).toBuilder()
                                                .clearDims()
                                                .addDims(1_000_000)
                                                .addDims(1_000)))
                        .build()
                        .toByteArray());
        bad.put(
                "external-data",
                mlp.toBuilder()
                        .setGraph(mlp.getGraph().toBuilder()
                                .setInitializer(
                                        0,
                                        mlp.getGraph().getInitializer(0).toBuilder()
                                                .clearRawData()
                                                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                                                .addExternalData(StringStringEntryProto.newBuilder()
                                                        .setKey("location")
                                                        .setValue("../../../../etc/passwd"))))
                        .build()
                        .toByteArray());
        bad.put(
                "custom-op",
                ModelProto.newBuilder()
                        .setIrVersion(8)
                        .addOpsetImport(
                                OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                        .addOpsetImport(OperatorSetIdProto.newBuilder()
                                .setDomain("evil.ops")
                                .setVersion(1))
                        .setGraph(GraphProto.newBuilder()
                                .setName("g")
                                .addNode(NodeProto.newBuilder()
                                        .setOpType("Pwn")
                                        .setDomain("evil.ops")
                                        .addInput("input")
                                        .addOutput("output"))
                                .addInput(OnnxModelBuilder.valueInfo("input", DataType.FP32, -1, 16))
                                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.FP32, -1, 4)))
                        .build()
                        .toByteArray());
        bad.put(
                "absurd-dims",
                ModelProto.newBuilder()
                        .setIrVersion(8)
                        .addOpsetImport(
                                OperatorSetIdProto.newBuilder().setDomain("").setVersion(13))
                        .setGraph(GraphProto.newBuilder()
                                .setName("g")
                                .addNode(NodeProto.newBuilder()
                                        .setOpType("Identity")
                                        .addInput("input")
                                        .addOutput("output"))
                                .addInput(OnnxModelBuilder.valueInfo("input", DataType.FP32, -1, 1L << 40))
                                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.FP32, -1, 1L << 40)))
                        .build()
                        .toByteArray());

        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        repo.config("good", TestRepo.mlpConfig("good", 16, 4, 8)).file("good", 1, good);
        bad.forEach((name, bytes) ->
                repo.config(name, TestRepo.mlpConfig(name, 16, 4, 8)).file(name, 1, bytes));
        repo.config("broken-config", "name: \"broken-config\"\nmax_batch_size: banana\n")
                .file("broken-config", 1, good);

        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            for (String name : bad.keySet()) {
                Reply<ModelInferResponse> r = f.client.call(
                        GRPCInferenceServiceGrpcClient.ModelInfer, fp32(name, "input", ramp(16, 1f), 1, 16));
                assertThat(r.status()).as(name + ": " + r.message()).isEqualTo(GrpcStatus.UNAVAILABLE);
                assertThat(r.message())
                        .as(name)
                        .contains(name)
                        .doesNotContain(tmp.toString())
                        .doesNotContain("Exception")
                        .doesNotContain("\tat ");
                // Asking again gives the recorded reason without another load.
                assertThat(f.client
                                .call(
                                        GRPCInferenceServiceGrpcClient.ModelInfer,
                                        fp32(name, "input", ramp(16, 1f), 1, 16))
                                .status())
                        .isEqualTo(GrpcStatus.UNAVAILABLE);
                assertThat(f.client
                                .call(
                                        GRPCInferenceServiceGrpcClient.ModelInfer,
                                        fp32("good", "input", ramp(16, 1f), 1, 16))
                                .status())
                        .isEqualTo(GrpcStatus.OK);
            }
            Reply<ModelInferResponse> cfg = f.client.call(
                    GRPCInferenceServiceGrpcClient.ModelInfer, fp32("broken-config", "input", ramp(16, 1f), 1, 16));
            assertThat(cfg.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
            assertThat(cfg.message()).contains("config.pbtxt").contains("line");
            String index = f.client.post("/v2/repository/index", "").body();
            for (String name : bad.keySet()) {
                assertThat(index).contains("\"name\":\"" + name + "\"");
            }
            assertThat(index).doesNotContain(tmp.toString());
            for (var d : f.node.pool().snapshot()) {
                assertThat(d.reservedBytes()).isZero();
            }
        }
    }
}
