package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.admin;
import static dev.modelmux.node.EndpointSupport.decide;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.predlog.internal.SegmentedLog;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.node.v1.DecideResponse;
import dev.modelmux.repo.ExampleRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request ids are logged, so they are bounded: at most 256 bytes of UTF-8 on Decide (REST and gRPC),
 * on ModelInfer through an endpoint (gRPC and REST) and on label posts; a longer one is refused with
 * INVALID_ARGUMENT (400) naming the field, and nothing is logged for it.
 */
class LogLimitsTest {
    @TempDir
    Path tmp;

    @Test
    void requestIdsOverTwoHundredFiftySixBytesAreRefusedNamingTheField() throws Exception {
        Path example = tmp.resolve("example");
        ExampleRepository.build(
                example, tmp, ExampleRepository.plan(List.of(64L << 10, 64L << 10, 64L << 10, 64L << 10), List.of()));
        NodeConfig config = NodeFixture.config(example, tmp.resolve("data"), 256L << 20, ControlMode.POLL)
                .withEndpoints(example.resolve("endpoints.yaml"));
        String ascii256 = "a".repeat(256);
        String ascii257 = "a".repeat(257);
        String accented = "é".repeat(129); // 129 characters, 258 bytes
        String mega = "x".repeat(1 << 20);
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config)))) {
            // Decide over REST.
            assertThat(decide(f, body(ascii256)).status()).isEqualTo(200);
            for (String id : List.of(ascii257, accented)) { // (the REST decide body is at most 64 KiB)
                EndpointSupport.Reply r = decide(f, body(id));
                assertThat(r.status()).as(r.body()).isEqualTo(400);
                assertThat(r.json().getString("error")).contains("request_id").contains("256 bytes");
            }
            EndpointSupport.Reply entity = decide(f, body("ok").put("entity_id", accented));
            assertThat(entity.status()).isEqualTo(400);
            assertThat(entity.json().getString("error")).contains("entity_id");

            // Decide over gRPC.
            OipClient.Reply<DecideResponse> g = EndpointSupport.decideGrpc(
                            f,
                            DecideRequest.newBuilder()
                                    .setModelName("example")
                                    .setEntityId("user-1")
                                    .setRequestId(accented)
                                    .build(),
                            Map.of())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get();
            assertThat(g.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(g.message()).contains("request_id");

            // ModelInfer through the endpoint's name: gRPC (1 MiB id) and REST.
            ModelInferRequest infer = Requests.fp32("example", "input", new float[] {35, 40000, 50, 1}, 1, 4);
            assertThat(f.client
                            .call(
                                    GRPCInferenceServiceGrpcClient.ModelInfer,
                                    infer.toBuilder().setId(ascii256).build())
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            OipClient.Reply<?> big = f.client.call(
                    GRPCInferenceServiceGrpcClient.ModelInfer,
                    infer.toBuilder().setId(mega).build());
            assertThat(big.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(big.message()).contains("id: at most 256 bytes");
            OipClient.Http rest = f.client.post(
                    "/v2/models/example/infer",
                    new JsonObject()
                            .put("id", ascii257)
                            .put(
                                    "inputs",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("name", "input")
                                                    .put("datatype", "FP32")
                                                    .put(
                                                            "shape",
                                                            new JsonArray()
                                                                    .add(1)
                                                                    .add(4))
                                                    .put(
                                                            "data",
                                                            new JsonArray()
                                                                    .add(35)
                                                                    .add(40000)
                                                                    .add(50)
                                                                    .add(1))))
                            .encode());
            assertThat(rest.status()).as(rest.body()).isEqualTo(400);
            assertThat(rest.body()).contains("id: at most 256 bytes");

            // Labels.
            EndpointSupport.Reply labels = admin(
                    f,
                    "POST",
                    "/api/v1/labels",
                    new JsonObject()
                            .put(
                                    "labels",
                                    new JsonArray()
                                            .add(new JsonObject()
                                                    .put("request_id", ascii256)
                                                    .put("label", 1))
                                            .add(new JsonObject()
                                                    .put("request_id", accented)
                                                    .put("label", 1)))
                            .encode());
            assertThat(labels.status()).as(labels.body()).isEqualTo(400);
            assertThat(labels.json().getString("error")).contains("labels[1].request_id");
        }
        // Only the two accepted requests were logged.
        List<String> ids = new ArrayList<>();
        for (Path seg : SegmentedLog.closedSegments(tmp.resolve("data").resolve("predictions"), "predictions")) {
            for (String line : Files.readAllLines(seg, StandardCharsets.UTF_8)) {
                ids.add(new JsonObject(line).getString("kind") + ":" + new JsonObject(line).getString("request_id"));
            }
        }
        assertThat(ids).containsExactlyInAnyOrder("decide:" + ascii256, "infer:" + ascii256);
    }

    private static JsonObject body(String requestId) {
        return new JsonObject()
                .put("request_id", requestId)
                .put("entity_id", "user-1")
                .put("model_name", "example");
    }
}
