package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin JSON API on a real two-node mesh: auth, actions, the shared timeline, the live stream. */
class AdminApiTest {
    private static final String[] TOKEN = {"authorization", "Bearer " + NodeFixture.ADMIN_TOKEN};

    @TempDir
    Path tmp;

    @Test
    void adminEndpointsNeedTheTokenAndActionsReachTheWholeMeshAndItsTimeline() throws Exception {
        TestRepo repo =
                new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3).mlp("n", 1, 16, 4, 200_000, 4);
        NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 256L << 20, "node-a", List.of());
        NodeFixture b = null;
        HttpClient http = HttpClient.newHttpClient();
        try {
            b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> a.node.meshNodes().contains("node-b")
                            && bb.node.meshNodes().contains("node-a"));

            // Every admin endpoint refuses a missing or wrong token, without echoing it.
            for (String path : List.of("/api/v1/models", "/api/v1/events", "/api/v1/stream", "/api/v1/cluster")) {
                assertThat(a.client.get(path).status()).as(path).isEqualTo(401);
                HttpResponse<String> wrong = http.send(
                        HttpRequest.newBuilder(URI.create(url(a, path)))
                                .header("authorization", "Bearer not-the-admin-token-at-all")
                                .GET()
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(wrong.statusCode()).as(path).isEqualTo(401);
                assertThat(wrong.body()).doesNotContain("not-the-admin-token");
            }
            for (String path : List.of(
                    "/api/v1/models/m/load",
                    "/api/v1/models/m/unload",
                    "/api/v1/models/m/pin",
                    "/api/v1/models/m/unpin",
                    "/api/v1/nodes/node-b/drain",
                    "/api/v1/nodes/node-b/undrain")) {
                assertThat(a.client.post(path, "{}").status()).as(path).isEqualTo(401);
                assertThat(a.client
                                .post(path, "{}", "authorization", "Bearer wrong-token-0123456789")
                                .status())
                        .as(path)
                        .isEqualTo(401);
            }
            assertThat(a.client.get("/admin/").status()).isEqualTo(200); // the page itself holds no data

            // A live stream on b, read the way the page reads it (a bearer header, no token in the URL).
            List<String> frames = new CopyOnWriteArrayList<>();
            HttpRequest streamReq = HttpRequest.newBuilder(URI.create(url(bb, "/api/v1/stream")))
                    .header("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN)
                    .GET()
                    .build();
            var streaming = http.sendAsync(streamReq, HttpResponse.BodyHandlers.ofLines())
                    .thenAccept(r -> {
                        assertThat(r.headers().firstValue("content-type").orElse(""))
                                .startsWith("text/event-stream");
                        try (Stream<String> lines = r.body()) {
                            lines.forEach(frames::add);
                        }
                    });
            await().atMost(Duration.ofSeconds(10)).until(() -> frames.contains("event: cluster"));

            // Load m on b through a's API: the call returns once it is READY there.
            OipClient.Http load = a.client.post("/api/v1/models/m/load", "{\"node\":\"node-b\"}", TOKEN);
            assertThat(load.status()).as(load.body()).isEqualTo(200);
            assertThat(new JsonObject(load.body()).getString("node")).isEqualTo("node-b");
            assertThat(bb.node.pool().resident(new ModelKey("m", 1))).isPresent();
            assertThat(a.client
                            .post("/api/v1/models/m/load", "{\"node\":\"node-zz\"}", TOKEN)
                            .status())
                    .isEqualTo(404);
            assertThat(a.client.post("/api/v1/models/no-such/load", "{}", TOKEN).status())
                    .isEqualTo(404);
            assertThat(a.client.post("/api/v1/models/m/load", "[1,2", TOKEN).status())
                    .isEqualTo(400);

            // The models view on a shows the copy on b, the catalog's sizes, and (after traffic) latency.
            for (int i = 0; i < 5; i++) {
                a.client
                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", ramp(16, 1f), 1, 16))
                        .ok();
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                JsonObject m = model(a, "m");
                assertThat(m.getString("state")).isEqualTo("READY");
                assertThat(m.getJsonArray("copies").encode()).contains("\"node\":\"node-b\"");
                assertThat(m.getLong("measured_bytes")).isPositive();
                assertThat(m.getLong("predicted_bytes")).isPositive();
                assertThat(m.getLong("last_load_ms")).isNotNull();
                assertThat(m.getDouble("p99_ms")).isPositive();
            });
            assertThat(model(a, "n").containsKey("state")).isFalse();

            // Pin on a: b's pool pins its copy, unload is refused while pinned, the event names the admin.
            assertThat(a.client.post("/api/v1/models/m/pin", "", TOKEN).status())
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> pinnedOn(bb, "m"));
            assertThat(model(bb, "m").getString("pinned_by")).isEqualTo("admin");
            OipClient.Http refused = bb.client.post("/api/v1/models/m/unload", "", TOKEN);
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.body()).contains("pinned");
            assertThat(a.client.post("/api/v1/models/m/unpin", "", TOKEN).status())
                    .isEqualTo(200);
            await().atMost(Duration.ofSeconds(10)).until(() -> !pinnedOn(bb, "m"));

            // Unload everywhere, asked at a: b's copy goes.
            OipClient.Http unload = a.client.post("/api/v1/models/m/unload", "", TOKEN);
            assertThat(unload.status()).as(unload.body()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> bb.node.pool().resident(new ModelKey("m", 1)).isEmpty()
                            && a.node.copies("m", 1).isEmpty());

            // Both timelines hold every node's events, admin actions with their actor.
            for (NodeFixture f : List.of(a, bb)) {
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                    JsonArray events = new JsonObject(f.client
                                    .getWithToken("/api/v1/events?limit=500")
                                    .body())
                            .getJsonArray("events");
                    String all = events.encode();
                    assertThat(all)
                            .contains("\"kind\":\"JOINED\",\"node\":\"node-a\"")
                            .contains("\"kind\":\"JOINED\",\"node\":\"node-b\"");
                    assertThat(events.stream()
                                    .map(o -> (JsonObject) o)
                                    .filter(e -> e.getString("kind").equals("LOADED")
                                            && "m".equals(e.getString("model"))
                                            && e.getString("node").equals("node-b")))
                            .isNotEmpty();
                    assertThat(events.stream()
                                    .map(o -> (JsonObject) o)
                                    .filter(e -> e.getString("kind").equals("PINNED")
                                            && e.getString("actor").equals("admin")))
                            .isNotEmpty();
                    assertThat(all).contains("\"kind\":\"UNLOAD_REQUESTED\"").contains("\"kind\":\"UNLOADED\"");
                });
            }
            // ... and the stream on b carried them as they happened.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> frames.stream().anyMatch(l -> l.startsWith("data:") && l.contains("\"PINNED\"")));
            assertThat(frames).contains("event: timeline");
            streaming.cancel(true);
        } finally {
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    private static String url(NodeFixture f, String path) {
        return "http://127.0.0.1:" + f.node.httpPort() + path;
    }

    private static JsonObject model(NodeFixture f, String name) {
        OipClient.Http r = f.client.getWithToken("/api/v1/models");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body())
                .getJsonArray("models").stream()
                        .map(o -> (JsonObject) o)
                        .filter(o -> o.getString("name").equals(name))
                        .findFirst()
                        .orElseThrow();
    }

    private static boolean pinnedOn(NodeFixture f, String model) {
        return f.node.pool().snapshot().stream()
                .flatMap(d -> d.residents().stream())
                .filter(r -> r.key().model().equals(model))
                .anyMatch(DeviceSnapshot.Resident::pinned);
    }
}
