package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Draining a node of a real two-node mesh: its copies move, it takes no new ones, requests keep being served. */
class MeshDrainTest {
    private static final String[] TOKEN = {"authorization", "Bearer " + NodeFixture.ADMIN_TOKEN};

    @TempDir
    Path tmp;

    @Test
    void aDrainedNodeHandsItsCopiesOverWithoutAFailedRequestAndTakesNoNewOnes() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo"))
                .mlp("m", 1, 16, 4, 200_000, 3)
                .mlp("p", 1, 16, 4, 200_000, 5)
                .mlp("n", 1, 16, 4, 200_000, 4);
        NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 256L << 20, "node-a", List.of());
        NodeFixture b = null;
        AtomicBoolean stop = new AtomicBoolean();
        Thread traffic = null;
        try {
            b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().contains("node-b")
                            && bb.node.meshNodes().contains("node-a"));
            for (String model : List.of("m", "p")) {
                OipClient.Http r = a.client.post("/api/v1/models/" + model + "/load", "{\"node\":\"node-b\"}", TOKEN);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
            }
            assertThat(a.client.post("/api/v1/models/p/pin", "", TOKEN).status())
                    .isEqualTo(200);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).equals(List.of("node-b/cpu0:READY")));

            // Requests at both nodes, throughout the drain.
            AtomicInteger ok = new AtomicInteger();
            List<String> failures = new CopyOnWriteArrayList<>();
            traffic = new Thread(() -> {
                for (int i = 0; !stop.get(); i++) {
                    NodeFixture f = i % 2 == 0 ? a : bb;
                    String model = i % 3 == 0 ? "p" : "m";
                    var reply = f.client.call(
                            GRPCInferenceServiceGrpcClient.ModelInfer, fp32(model, "input", ramp(16, 1f), 1, 16));
                    if (reply.status() == GrpcStatus.OK) {
                        ok.incrementAndGet();
                    } else {
                        failures.add(model + " at " + f.node.nodeId() + ": " + reply.status() + " " + reply.message());
                    }
                }
            });
            traffic.start();
            await().atMost(NodeFixture.PATIENCE).until(() -> ok.get() >= 20);

            OipClient.Http drain = a.client.post("/api/v1/nodes/node-b/drain", "", TOKEN);
            assertThat(drain.status()).as(drain.body()).isEqualTo(200);
            assertThat(new JsonObject(drain.body()).getBoolean("changed")).isTrue();
            assertThat(a.client.post("/api/v1/nodes/node-zz/drain", "", TOKEN).status())
                    .isEqualTo(404);

            // The copies are on a, READY; b holds none; the cluster view says b is draining.
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).equals(List.of("node-a/cpu0:READY"))
                            && a.node.copies("p", 1).equals(List.of("node-a/cpu0:READY"))
                            && residents(bb).isEmpty());
            JsonObject view =
                    new JsonObject(bb.client.getWithToken("/api/v1/cluster").body());
            assertThat(view.getJsonArray("nodes").stream()
                            .map(o -> (JsonObject) o)
                            .filter(n -> n.getString("id").equals("node-b"))
                            .findFirst()
                            .orElseThrow()
                            .getBoolean("draining"))
                    .isTrue();
            int before = ok.get();
            await().atMost(NodeFixture.PATIENCE).until(() -> ok.get() >= before + 20);
            stop.set(true);
            traffic.join();
            assertThat(failures).isEmpty();

            // A first request at the draining node loads the model elsewhere; an explicit load there is refused.
            bb.client
                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("n", "input", ramp(16, 1f), 1, 16))
                    .ok();
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> !a.node.copies("n", 1).isEmpty());
            assertThat(a.node.copies("n", 1)).allMatch(c -> c.startsWith("node-a/"));
            assertThat(residents(bb)).isEmpty();
            assertThat(a.client
                            .post("/api/v1/models/n/load", "{\"node\":\"node-b\"}", TOKEN)
                            .status())
                    .isEqualTo(409);

            // The timeline has the drain (by the admin) and the moves (each node appends its own events).
            await().atMost(NodeFixture.PATIENCE)
                    .untilAsserted(() -> assertThat(a.client
                                    .getWithToken("/api/v1/events?limit=500")
                                    .body())
                            .contains("\"kind\":\"DRAIN\",\"node\":\"node-b\",\"actor\":\"admin\"")
                            .contains("\"kind\":\"MOVED\""));

            // Undrain: b takes copies again.
            assertThat(a.client.post("/api/v1/nodes/node-b/undrain", "", TOKEN).status())
                    .isEqualTo(200);
            // The load below is asked of a, about b: both must have seen the undrain.
            await().atMost(NodeFixture.PATIENCE).until(() -> noneDraining(a) && noneDraining(bb));
            OipClient.Http back = a.client.post("/api/v1/models/n/load", "{\"node\":\"node-b\"}", TOKEN);
            assertThat(back.status()).as(back.body()).isEqualTo(200);
            assertThat(bb.node.pool().resident(new ModelKey("n", 1))).isPresent();
        } finally {
            stop.set(true);
            if (traffic != null) {
                traffic.join();
            }
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    private static boolean noneDraining(NodeFixture f) {
        return new JsonObject(f.client.getWithToken("/api/v1/cluster").body())
                .getJsonArray("nodes").stream().map(o -> (JsonObject) o).noneMatch(n -> n.getBoolean("draining"));
    }

    private static List<String> residents(NodeFixture f) {
        return f.node.pool().snapshot().stream()
                .flatMap(d -> d.residents().stream())
                .filter(r -> r.state() != DeviceSnapshot.State.UNLOADING)
                .map(r -> r.key().model())
                .toList();
    }
}
