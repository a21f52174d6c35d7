package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two real nodes forming a Hazelcast mesh on loopback, sharing one repository. */
class MeshRoutingTest {
    @TempDir
    Path tmp;

    @Test
    void anyNodeServesAnyModelFromOneCopyAndSurvivesTheHolderLeaving() throws Exception {
        TestRepo repo =
                new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3).mlp("n", 1, 16, 4, 200_000, 4);
        float[] x = ramp(16, 1f);
        NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 256L << 20, "node-a", List.of());
        NodeFixture b = null;
        try {
            b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.vertx() != null
                            && bb.client.getWithToken("/metrics").status() == 200
                            && seesPeer(a, "node-b")
                            && seesPeer(bb, "node-a"));

            // First request at b: b has room, so b loads it; then a serves it by forwarding to b.
            float[] atB = floats(
                    b.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                            .ok(),
                    0);
            await().atMost(NodeFixture.PATIENCE).until(() -> a.node.vertx() != null && holdersOf(a, "m") == 1);
            ModelInferResponse viaA = a.client
                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                    .ok();
            assertThat(viaA.getModelVersion()).isEqualTo("1");
            assertThat(floats(viaA, 0)).containsExactly(atB, within(0f));
            assertThat(a.node.pool().resident(new ModelKey("m", 1))).isEmpty();
            assertThat(b.node.pool().resident(new ModelKey("m", 1))).isPresent();
            assertThat(a.client.getWithToken("/metrics").body()).contains("outcome=\"forwarded\"");
            // The operators' read model.
            assertThat(a.client.get("/api/v1/cluster").status()).isEqualTo(401);
            JsonObject view =
                    new JsonObject(a.client.getWithToken("/api/v1/cluster").body());
            assertThat(view.getJsonArray("nodes").stream().map(o -> ((JsonObject) o).getString("id")))
                    .containsExactly("node-a", "node-b");
            assertThat(view.getJsonArray("models").encode())
                    .contains("\"model\":\"m\"")
                    .contains("\"node\":\"node-b\"")
                    .contains("\"state\":\"READY\"");
            // The same over REST at a.
            OipClient.Http rest = a.client.post(
                    "/v2/models/m/infer",
                    "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":"
                            + Arrays.toString(x) + "}]}");
            assertThat(rest.status()).as(rest.body()).isEqualTo(200);

            // Concurrent first requests at both nodes: one load cluster-wide.
            List<Future<Reply<ModelInferResponse>>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                for (NodeFixture f : List.of(a, b)) {
                    calls.add(f.node.vertx()
                            .executeBlocking(
                                    () -> f.client.call(
                                            GRPCInferenceServiceGrpcClient.ModelInfer, fp32("n", "input", x, 1, 16)),
                                    false));
                }
            }
            for (Future<Reply<ModelInferResponse>> c : calls) {
                assertThat(NodeFixture.await(c).ok().getModelName()).isEqualTo("n");
            }
            assertThat(loads(a, "n") + loads(b, "n")).isEqualTo(1);

            // No outside client can pass itself off as a forwarded request.
            Reply<ModelInferResponse> spoofed = a.client.call(
                    GRPCInferenceServiceGrpcClient.ModelInfer,
                    fp32("m", "input", x, 1, 16),
                    Map.of(Forwarder.HOP_HEADER, "1"));
            assertThat(spoofed.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED);
            Reply<ModelInferResponse> wrong = a.client.call(
                    GRPCInferenceServiceGrpcClient.ModelInfer,
                    fp32("m", "input", x, 1, 16),
                    // The secret itself (how hops were once authenticated) no longer opens anything.
                    Map.of(Forwarder.HOP_HEADER, "1", "x-modelmux-cluster-secret", NodeFixture.CLUSTER_SECRET));
            assertThat(wrong.status()).isEqualTo(GrpcStatus.UNAUTHENTICATED);

            // The holder leaves: its copies disappear from the table and a serves m itself.
            b.close();
            b = null;
            ModelInferResponse after = a.client
                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                    .ok();
            assertThat(floats(after, 0)).containsExactly(atB, within(0f));
            assertThat(a.node.pool().resident(new ModelKey("m", 1))).isPresent();
        } finally {
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    private static boolean seesPeer(NodeFixture f, String peer) {
        return f.node.meshNodes().contains(peer);
    }

    private static int holdersOf(NodeFixture f, String model) {
        return f.node.copies(model, 1).size();
    }

    private static int loads(NodeFixture f, String model) {
        Matcher m = Pattern.compile("modelmux_model_loads_total\\{model=\"" + model
                        + "\",outcome=\"success\",version=\"1\"\\} ([0-9.]+)")
                .matcher(f.client.getWithToken("/metrics").body());
        return m.find() ? (int) Double.parseDouble(m.group(1)) : 0;
    }
}
