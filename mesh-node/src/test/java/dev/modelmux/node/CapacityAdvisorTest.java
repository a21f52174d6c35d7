package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.ModelInferRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /api/v1/capacity} on a real two-node mesh with real models and traffic: a model with
 * traffic is sized from its measured rate and latency on either node, an idle model with two copies
 * is over-provisioned, bad parameters are refused by name, and the serving signals an autoscaler
 * reads are exported (per-device queue wait, deadline-exceeded outcomes per model).
 */
class CapacityAdvisorTest {
    private static final String[] TOKEN = {"authorization", "Bearer " + NodeFixture.ADMIN_TOKEN};
    private static final long BUDGET = 256L << 20;

    @TempDir
    Path tmp;

    @Test
    void adviceFollowsTheMeshsTrafficAndLatencyOnEveryNode() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo"))
                .mlp("busy", 1, 16, 4, 200_000, 3)
                .mlp("spare", 1, 16, 4, 100_000, 4);
        NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), BUDGET, "node-a", List.of());
        NodeFixture b = null;
        AtomicBoolean stop = new AtomicBoolean();
        List<String> failures = new CopyOnWriteArrayList<>();
        Thread traffic = null;
        try {
            b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), BUDGET, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().contains("node-b")
                            && bb.node.meshNodes().contains("node-a"));

            // Admin token only; the answer never echoes a wrong one.
            for (NodeFixture f : List.of(a, b)) {
                assertThat(f.client.get("/api/v1/capacity").status()).isEqualTo(401);
                OipClient.Http wrong = getWith(f, "/api/v1/capacity", "Bearer not-the-admin-token-000");
                assertThat(wrong.status()).isEqualTo(401);
                assertThat(wrong.body()).doesNotContain("not-the-admin-token");
                assertThat(getWith(f, "/api/v1/capacity", "Basic " + NodeFixture.ADMIN_TOKEN)
                                .status())
                        .isEqualTo(401);
                assertThat(f.client.getWithToken("/api/v1/capacity").status()).isEqualTo(200);
            }

            // Bad parameters are a 400 naming the parameter.
            for (String[] bad : new String[][] {
                {"target_utilization=0", "target_utilization"},
                {"target_utilization=1.5", "target_utilization"},
                {"target_utilization=lots", "target_utilization"},
                {"window=5s", "window"},
                {"window=16m", "window"},
                {"window=soon", "window"},
                {"extra_traffic_share=-1", "extra_traffic_share"},
                {"reaction_time=2h", "reaction_time"}
            }) {
                OipClient.Http r = a.client.getWithToken("/api/v1/capacity?" + bad[0]);
                assertThat(r.status()).as(bad[0]).isEqualTo(400);
                assertThat(r.body()).as(bad[0]).contains(bad[1]);
            }

            // An idle model with a copy on each node.
            for (String node : List.of("node-a", "node-b")) {
                OipClient.Http r = a.client.post("/api/v1/models/spare/load", "{\"node\":\"" + node + "\"}", TOKEN);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
            }

            // Traffic for 'busy' through node a (its first request loads it there).
            traffic = new Thread(() -> {
                for (int i = 0; !stop.get() && i < 200_000; i++) {
                    OipClient.Reply<?> r = a.client.call(
                            GRPCInferenceServiceGrpcClient.ModelInfer, fp32("busy", "input", ramp(16, 1f), 1, 16));
                    if (r.status() != GrpcStatus.OK) {
                        failures.add(r.status() + " " + r.message());
                    }
                    pause();
                }
            });
            traffic.start();

            // Node b never saw a request of 'busy': its rate comes from the placement table, its latency from a's
            // published figures.
            await().atMost(NodeFixture.PATIENCE).until(() -> {
                JsonObject m = model(advice(bb, ""), "busy");
                return m != null && m.getDouble("peak_qps") > 0 && m.getValue("p99_inference_seconds") != null;
            });
            JsonObject adviceB = advice(b, "");
            JsonObject busy = model(adviceB, "busy");
            assertThat(busy.getDouble("p99_inference_seconds")).isPositive();
            int current = busy.getInteger("current_copies"); // 1, or more once the copy scaler saw the rate
            assertThat(current).isGreaterThanOrEqualTo(1);
            assertThat(busy.getInteger("required_copies")).isGreaterThanOrEqualTo(1);
            JsonObject parts = busy.getJsonObject("copies");
            assertThat(parts.getInteger("base")).isGreaterThanOrEqualTo(1);
            assertThat(parts.getInteger("failover_headroom"))
                    .isGreaterThanOrEqualTo(1); // losing the holder must leave a copy
            assertThat(busy.getInteger("required_copies"))
                    .isEqualTo(Math.max(
                            parts.getInteger("floor"),
                            parts.getInteger("base")
                                    + parts.getInteger("load_headroom")
                                    + parts.getInteger("failover_headroom")));
            int required = busy.getInteger("required_copies");
            String status = current < required
                    ? "under_provisioned"
                    : current > Math.max(required, 1) ? "over_provisioned" : "ok";
            assertThat(busy.getString("status")).isEqualTo(status);
            assertThat(busy.getLong("bytes_per_copy")).isPositive();
            assertThat(busy.getLong("required_memory_bytes"))
                    .isEqualTo(busy.getLong("bytes_per_copy") * busy.getInteger("required_copies"));
            assertThat(busy.getValue("load_seconds")).isNotNull(); // measured by the load on a, from the shared catalog
            assertThat(busy.getBoolean("fits_on_a_device")).isTrue();

            JsonObject spare = model(adviceB, "spare");
            assertThat(spare.getDouble("peak_qps")).isZero();
            assertThat(spare.getInteger("current_copies")).isEqualTo(2);
            assertThat(spare.getInteger("required_copies")).isZero();
            assertThat(spare.getString("status")).isEqualTo("over_provisioned");

            JsonObject cluster = adviceB.getJsonObject("cluster");
            assertThat(cluster.getInteger("nodes")).isEqualTo(2);
            assertThat(cluster.getLong("capacity_bytes")).isEqualTo(2 * BUDGET);
            assertThat(cluster.getLong("per_node_capacity_bytes")).isEqualTo(BUDGET);
            assertThat(cluster.getJsonArray("over_provisioned").getList()).contains("spare");
            assertThat(cluster.getJsonArray("under_provisioned").getList().contains("busy"))
                    .isEqualTo(status.equals("under_provisioned"));
            assertThat(cluster.getLong("required_memory_bytes"))
                    .isGreaterThanOrEqualTo(busy.getLong("required_memory_bytes"));
            assertThat(cluster.getInteger("nodes_needed")).isGreaterThanOrEqualTo(2);
            JsonObject params = adviceB.getJsonObject("parameters");
            assertThat(params.getDouble("target_utilization")).isEqualTo(0.6);
            assertThat(params.getDouble("window_seconds")).isEqualTo(900.0);
            assertThat(adviceB.getDouble("window_covered_seconds")).isPositive();

            // Node a measured the latency itself; parameters change the answer as the formula says.
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> model(advice(a, ""), "busy").getValue("p99_inference_seconds") != null);
            JsonObject loose = model(
                    advice(a, "?target_utilization=1&window=10m&extra_traffic_share=0.5&reaction_time=0"), "busy");
            assertThat(loose.getDouble("extra_traffic_share")).isEqualTo(0.5);
            assertThat(loose.getJsonObject("copies").getInteger("load_headroom"))
                    .isEqualTo(1); // any load time is >= 0 s
            assertThat(advice(a, "?window=10m").getJsonObject("parameters").getDouble("window_seconds"))
                    .isEqualTo(600.0);

            // A request whose deadline passes is countable per model.
            ModelInferRequest late = fp32("busy", "input", ramp(16, 1f), 1, 16).toBuilder()
                    .putParameters(
                            "timeout",
                            InferParameter.newBuilder().setInt64Param(1).build())
                    .build();
            OipClient.Reply<?> r = a.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, late);
            assertThat(r.status()).as(r.message()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
            String metrics = a.client.getWithToken("/metrics").body();
            assertThat(metrics)
                    .containsPattern(
                            "modelmux_inference_requests_total\\{model=\"busy\",outcome=\"deadline_exceeded\",[^}]*\\} 1\\.0")
                    .contains("modelmux_device_queue_wait_seconds_count{device=\"cpu0\"")
                    .contains("modelmux_inference_request_duration_seconds_bucket{model=\"busy\"");

            stop.set(true);
            traffic.join();
            assertThat(failures).isEmpty();
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

    private static JsonObject advice(NodeFixture f, String query) {
        OipClient.Http r = f.client.getWithToken("/api/v1/capacity" + query);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body());
    }

    private static JsonObject model(JsonObject advice, String name) {
        return advice.getJsonArray("models").stream()
                .map(o -> (JsonObject) o)
                .filter(m -> m.getString("model").equals(name))
                .findFirst()
                .orElse(null);
    }

    private static OipClient.Http getWith(NodeFixture f, String path, String authorization) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.node.httpPort() + path))
                                .header("authorization", authorization)
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return new OipClient.Http(r.statusCode(), r.body());
    }

    /** Keeps the traffic light on a 2-core machine; the rate is whatever it is. */
    private static void pause() {
        try {
            Thread.sleep(2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
