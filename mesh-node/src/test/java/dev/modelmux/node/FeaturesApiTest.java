package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.features.FeatureStoreConfig;
import dev.modelmux.node.features.FeatureVector;
import dev.modelmux.node.features.FeatureVector.Source;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The feature store on real nodes: seeded from the {@code --features} file once per mesh, loaded
 * and read through the admin API, fetched through the node's store, with its metrics on
 * {@code /metrics}; a lookup held back by the fault hook times out to the defaults.
 */
class FeaturesApiTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    record Reply(int status, String body) {
        JsonObject json() {
            return new JsonObject(body);
        }
    }

    private Reply send(NodeFixture f, String method, String path, String body, boolean admin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.node.httpPort() + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (admin) {
            b.header("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body());
    }

    private static FeatureVector fetch(
            NodeFixture f, String entity, List<String> refs, Map<String, Double> defaults, Duration timeout)
            throws Exception {
        return f.node.featureStore()
                .fetch(entity, refs, defaults, timeout, Duration.ZERO)
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS);
    }

    private NodeFixture start(Path repo, String name, FeatureStoreConfig features, List<String> peers) {
        NodeConfig config = NodeFixture.config(repo, tmp.resolve(name), 64L << 20, ControlMode.POLL)
                .withCluster(ClusterConfig.defaults().withNodeId(name).withPeers(peers), NodeFixture.CLUSTER_SECRET)
                .withFeatures(features);
        return new NodeFixture(NodeFixture.await(MeshNode.start(config)));
    }

    @Test
    void theFileSeedsAnEmptyMeshOnceAndTheApiLoadsAndShowsValues() throws Exception {
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Path fileA = tmp.resolve("a.jsonl");
        Files.writeString(
                fileA,
                "{\"entity_id\": \"user:1\", \"values\": {\"user.age\": 31, \"user.spend_30d\": 120.5}}\n\n"
                        + "{\"entity_id\": \"user:2\", \"values\": {\"user.age\": 45}}\n");
        Path fileB = tmp.resolve("b.jsonl");
        Files.writeString(
                fileB,
                "{\"entity_id\": \"user:1\", \"values\": {\"user.age\": 99}}\n"
                        + "{\"entity_id\": \"user:9\", \"values\": {\"user.age\": 9}}\n");

        NodeFixture a = start(repo, "node-a", FeatureStoreConfig.defaults().withFile(fileA), List.of());
        NodeFixture b = null;
        try {
            b = start(
                    repo,
                    "node-b",
                    FeatureStoreConfig.defaults().withFile(fileB),
                    List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(NodeFixture.PATIENCE).until(() -> bb.node.meshNodes().size() == 2);

            // a seeded the empty mesh; b's file was not loaded over it.
            JsonObject user1 =
                    send(b, "GET", "/api/v1/features/user:1", null, true).json();
            assertThat(user1.getString("entity_id")).isEqualTo("user:1");
            JsonObject age = user1.getJsonObject("features").getJsonObject("user.age");
            assertThat(age.getDouble("value")).isEqualTo(31.0);
            assertThat(age.getLong("updated_at_ms")).isPositive();
            assertThat(age.getLong("age_ms")).isNotNegative();
            assertThat(user1.getJsonObject("features").fieldNames())
                    .containsExactlyInAnyOrder("user.age", "user.spend_30d");
            assertThat(send(a, "GET", "/api/v1/features/user:9", null, true).status())
                    .isEqualTo(404);

            // The API loads values (both shapes); every node reads them.
            Reply put = send(
                    a,
                    "PUT",
                    "/api/v1/features",
                    "{\"features\": [{\"entity_id\": \"user:1\", \"values\": {\"user.age\": 32}},"
                            + " {\"entity_id\": \"user:3\", \"values\": {\"user.age\": 27, \"user.tenure\": 2}}]}",
                    true);
            assertThat(put.status()).as(put.body()).isEqualTo(200);
            assertThat(put.json()).isEqualTo(new JsonObject().put("entities", 2).put("values", 3));
            Reply lines = send(
                    b,
                    "PUT",
                    "/api/v1/features",
                    "{\"entity_id\": \"user:4\", \"values\": {\"user.age\": 70}}\n"
                            + "{\"entity_id\": \"user:5\", \"values\": {\"user.age\": 71}}\n",
                    true);
            assertThat(lines.json())
                    .isEqualTo(new JsonObject().put("entities", 2).put("values", 2));

            FeatureVector v = fetch(
                    b,
                    "user:1",
                    List.of("user.age", "user.spend_30d", "user.tenure"),
                    Map.of("user.tenure", 0.0),
                    Duration.ofSeconds(30));
            assertThat(v.values())
                    .containsExactly(
                            Map.entry("user.age", 32.0),
                            Map.entry("user.spend_30d", 120.5),
                            Map.entry("user.tenure", 0.0));
            assertThat(v.sources())
                    .containsExactly(
                            Map.entry("user.age", Source.STORE),
                            Map.entry("user.spend_30d", Source.STORE),
                            Map.entry("user.tenure", Source.DEFAULT_MISSING));
            assertThat(fetch(a, "user:5", List.of("user.age"), Map.of(), Duration.ofSeconds(30))
                            .values())
                    .containsExactly(Map.entry("user.age", 71.0));

            String metrics = send(b, "GET", "/metrics", null, false).body();
            assertThat(metrics)
                    .contains("modelmux_feature_lookup_duration_seconds_count{outcome=\"ok\"} 1")
                    .contains("modelmux_feature_misses_total 1")
                    .contains("modelmux_feature_timeouts_total 0")
                    .contains("modelmux_feature_cache_hits_total 0")
                    .contains("modelmux_feature_value_age_milliseconds_count 2");
        } finally {
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    @Test
    void badUploadsAreRefusedNamingTheFieldAndEveryRouteNeedsTheAdminToken() throws Exception {
        NodeFixture f =
                start(Files.createDirectories(tmp.resolve("repo")), "solo", FeatureStoreConfig.defaults(), List.of());
        try {
            assertThat(send(f, "PUT", "/api/v1/features", "{\"features\": []}", false)
                            .status())
                    .isEqualTo(401);
            assertThat(send(f, "GET", "/api/v1/features/user:1", null, false).status())
                    .isEqualTo(401);

            Map<String, String> bad = Map.of(
                    "{\"features\": [{\"entity_id\": \"u1\", \"values\": {\"x\": \"old\"}}]}",
                    "features[0].values.x: must be a finite number",
                    "{\"features\": [{\"entity_id\": \"u1\", \"values\": {}}, {\"entity_id\": \"bad id\", \"values\": {}}]}",
                    "features[1].entity_id: required",
                    "{\"features\": [{\"entity_id\": \"u1\", \"values\": {\"bad name\": 1}}]}",
                    "features[0].values: feature name 'bad name'",
                    "{\"features\": [{\"entity_id\": \"u1\", \"values\": {\"x\": 1e999}}]}",
                    "features[0].values.x: must be a finite number",
                    "{\"features\": [{\"entity_id\": \"u1\", \"vals\": {}}]}",
                    "features[0].vals: unknown field",
                    "{\"entity_id\": \"u1\", \"values\": {\"x\": 1}}\n{\"entity_id\": \"u2\", \"values\": {\"x\": null}}",
                    "line 2: values.x: must be a finite number",
                    "not json",
                    "line 1: not a JSON object",
                    "",
                    "request body is empty");
            for (Map.Entry<String, String> e : bad.entrySet()) {
                Reply r = send(f, "PUT", "/api/v1/features", e.getKey(), true);
                assertThat(r.status()).as(e.getKey()).isEqualTo(400);
                assertThat(r.json().getString("error")).as(e.getKey()).contains(e.getValue());
            }
            assertThat(send(f, "GET", "/api/v1/features/u1", null, true).status())
                    .as("nothing of a refused upload is stored")
                    .isEqualTo(404);
            assertThat(send(f, "GET", "/api/v1/features/bad%20id", null, true).status())
                    .isEqualTo(400);
            Reply big = send(
                    f,
                    "PUT",
                    "/api/v1/features",
                    "{\"features\": [" + "{\"entity_id\": \"u\", \"values\": {\"x\": 1}},".repeat(500_000) + "]}",
                    true);
            assertThat(big.status()).isEqualTo(413);
            assertThat(big.json().getString("error")).contains("16777216 bytes");
        } finally {
            f.close();
        }
    }

    @Test
    void aBadFeaturesFileStopsTheStartNamingTheLine() throws Exception {
        Path file = tmp.resolve("bad.jsonl");
        Files.writeString(
                file,
                "{\"entity_id\": \"u1\", \"values\": {\"x\": 1}}\n{\"entity_id\": \"u2\", \"values\": {\"x\": \"high\"}}\n");
        Path repo = Files.createDirectories(tmp.resolve("repo"));
        Assertions.assertThatThrownBy(
                        () -> start(repo, "bad", FeatureStoreConfig.defaults().withFile(file), List.of()))
                .hasMessageContaining("features: " + file + " line 2: values.x: must be a finite number");
        Assertions.assertThatThrownBy(() -> start(
                        repo, "missing", FeatureStoreConfig.defaults().withFile(tmp.resolve("nope.jsonl")), List.of()))
                .hasMessageContaining("features: no such file");
    }

    @Test
    void theFaultHookMakesLookupsTimeOutToTheDefaults() throws Exception {
        NodeFixture f = start(
                Files.createDirectories(tmp.resolve("repo")),
                "slow",
                FeatureStoreConfig.defaults().withLookupDelay(Duration.ofMinutes(10)),
                List.of());
        try {
            assertThat(send(f, "PUT", "/api/v1/features", "{\"entity_id\": \"u1\", \"values\": {\"x\": 5}}", true)
                            .status())
                    .isEqualTo(200);
            FeatureVector v = fetch(f, "u1", List.of("x"), Map.of("x", -1.0), Duration.ofMillis(20));
            assertThat(v.values()).containsExactly(Map.entry("x", -1.0));
            assertThat(v.sources()).containsExactly(Map.entry("x", Source.DEFAULT_TIMEOUT));
            assertThat(v.timedOut()).isTrue();
            assertThat(send(f, "GET", "/metrics", null, false).body()).contains("modelmux_feature_timeouts_total 1");
        } finally {
            f.close();
        }
    }
}
