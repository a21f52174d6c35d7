package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Graceful scale-in on a real two-node mesh: a node that is stopped first drains (its only copy of
 * a model moves to the other node, READY before it goes, under continuous traffic with no failed
 * request), then exits; the same node id comes back without the draining flag, while an operator's
 * drain outlives a restart.
 */
class ScaleInTest {
    private static final String[] TOKEN = {"authorization", "Bearer " + NodeFixture.ADMIN_TOKEN};
    private static final long BUDGET = 256L << 20;

    @TempDir
    Path tmp;

    @Test
    void aStoppingNodeHandsItsCopiesOverUnderTrafficThenExits() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3);
        NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), BUDGET, "node-a", List.of());
        NodeFixture b = null;
        NodeFixture again = null;
        // One request at a time, 40 ms apart at least.
        ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
        try {
            b = startB(repo, a, "b");
            NodeFixture bb = b;
            OipClient.Http load = a.client.post("/api/v1/models/m/load", "{\"node\":\"node-b\"}", TOKEN);
            assertThat(load.status()).as(load.body()).isEqualTo(200);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).equals(List.of("node-b/cpu0:READY")));

            // Continuous traffic through a, which forwards to b while b holds the only copy; paced under
            // the copy scaler's 2,000 requests per minute per copy, so the drain itself moves the copy.
            AtomicInteger ok = new AtomicInteger();
            List<String> failures = new CopyOnWriteArrayList<>();
            traffic.scheduleWithFixedDelay(
                    () -> {
                        OipClient.Reply<?> r = a.client.call(
                                GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", ramp(16, 1f), 1, 16));
                        if (r.status() == GrpcStatus.OK) {
                            ok.incrementAndGet();
                        } else {
                            failures.add(r.status() + " " + r.message());
                        }
                    },
                    0,
                    40,
                    TimeUnit.MILLISECONDS);
            await().atMost(NodeFixture.PATIENCE).until(() -> ok.get() >= 20);
            assertThat(a.client.getWithToken("/metrics").body()).contains("outcome=\"forwarded\"");

            // Stop b as SIGTERM does: it reports not ready at once, drains, then exits.
            int bGrpc = b.node.grpcPort();
            b.client.close();
            Future<Void> closing = b.node.close();
            NodeFixture.await(closing);
            b = null;

            // The model is READY on a; b is gone from the mesh and its ports are closed.
            // (b exits only once a's copy is READY; its own entry may take a moment to leave the table.)
            assertThat(a.node.copies("m", 1)).contains("node-a/cpu0:READY");
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).equals(List.of("node-a/cpu0:READY"))
                            && !a.node.meshNodes().contains("node-b"));
            assertThatThrownBy(() -> new Socket("127.0.0.1", bGrpc).close()).isInstanceOf(ConnectException.class);
            int before = ok.get();
            await().atMost(NodeFixture.PATIENCE).until(() -> ok.get() >= before + 20);
            stopTraffic(traffic);
            assertThat(failures).as("requests that failed during the scale-in").isEmpty();

            // The timeline: b drained itself, a loaded the model, b unloaded it, the move is recorded, b left.
            await().atMost(NodeFixture.PATIENCE)
                    .untilAsserted(() -> assertTimeline(
                            a.client.getWithToken("/api/v1/events?limit=500").body()));

            // The same node id comes back without the flag: it takes copies again.
            again = startB(repo, a, "b2");
            NodeFixture back = again;
            assertThat(draining(a, "node-b")).isFalse();
            OipClient.Http reload = a.client.post("/api/v1/models/m/load", "{\"node\":\"node-b\"}", TOKEN);
            assertThat(reload.status()).as(reload.body()).isEqualTo(200);

            // An operator's drain is theirs: a restart keeps it.
            assertThat(a.client.post("/api/v1/nodes/node-b/drain", "", TOKEN).status())
                    .isEqualTo(200);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> back.node.pool().snapshot().stream()
                            .allMatch(d -> d.residents().isEmpty()));
            again.close();
            again = null;
            await().atMost(NodeFixture.PATIENCE).until(() -> !a.node.meshNodes().contains("node-b"));
            again = startB(repo, a, "b3");
            NodeFixture third = again;
            await().atMost(NodeFixture.PATIENCE).until(() -> draining(a, "node-b") && draining(third, "node-b"));
            assertThat(a.client.post("/api/v1/nodes/node-b/undrain", "", TOKEN).status())
                    .isEqualTo(200);
            await().atMost(NodeFixture.PATIENCE).until(() -> !draining(third, "node-b"));
        } finally {
            stopTraffic(traffic);
            if (again != null) {
                again.close();
            }
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    @Test
    void theLastNodeStopsWithoutADrain() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 50_000, 1);
        NodeConfig config = NodeFixture.config(repo.root, tmp.resolve("solo"), BUDGET, ControlMode.POLL)
                .withDrainTimeout(Duration.ofMinutes(10));
        NodeFixture solo = new NodeFixture(NodeFixture.await(MeshNode.start(config)));
        solo.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", ramp(16, 1f), 1, 16))
                .ok();
        // Nothing can take its copy: it stops at once rather than waiting ten minutes (the test's own timeout is 2).
        solo.close();
    }

    /** Node id node-b with a drain timeout, joined to a. */
    private NodeFixture startB(TestRepo repo, NodeFixture a, String dir) {
        NodeConfig config = NodeFixture.config(repo.root, tmp.resolve(dir), BUDGET, ControlMode.POLL)
                .withCluster(
                        ClusterConfig.defaults()
                                .withNodeId("node-b")
                                .withPeers(List.of("127.0.0.1:" + a.node.clusterPort())),
                        NodeFixture.CLUSTER_SECRET)
                .withDrainTimeout(Duration.ofSeconds(60));
        NodeFixture b = new NodeFixture(NodeFixture.await(MeshNode.start(config)));
        await().atMost(NodeFixture.PATIENCE)
                .until(() -> a.node.meshNodes().contains("node-b")
                        && b.node.meshNodes().contains("node-a"));
        return b;
    }

    private static void assertTimeline(String events) {
        // Each node appends its own events, so a's LOADED and b's UNLOADED may reach the log in either
        // order (b unloads once the table shows a's copy READY, which can be before a's append lands).
        assertThat(events)
                .containsSubsequence(
                        "\"kind\":\"DRAIN\",\"node\":\"node-b\",\"actor\":\"mesh\"",
                        "\"kind\":\"LOADED\",\"node\":\"node-a\"",
                        "\"kind\":\"LEFT\",\"node\":\"node-b\"");
        assertThat(events)
                .containsSubsequence(
                        "\"kind\":\"DRAIN\",\"node\":\"node-b\",\"actor\":\"mesh\"",
                        "\"kind\":\"UNLOADED\",\"node\":\"node-b\"",
                        "\"kind\":\"LEFT\",\"node\":\"node-b\"");
        assertThat(events).contains("\"kind\":\"MOVED\",\"node\":\"node-a\"").contains("from draining node node-b");
    }

    /** Stops the traffic and waits for a request in progress to end. */
    private static void stopTraffic(ScheduledExecutorService traffic) throws InterruptedException {
        traffic.shutdown(); // no next request; one in flight finishes
        assertThat(traffic.awaitTermination(NodeFixture.PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isTrue();
    }

    private static boolean draining(NodeFixture f, String node) {
        JsonObject view =
                new JsonObject(f.client.getWithToken("/api/v1/cluster").body());
        return view.getJsonArray("nodes").stream()
                .map(o -> (JsonObject) o)
                .filter(n -> n.getString("id").equals(node))
                .findFirst()
                .map(n -> n.getBoolean("draining"))
                .orElse(false);
    }
}
