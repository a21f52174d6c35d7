package dev.modelmux.node;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.node.v1.DecideResponse;
import dev.modelmux.node.v1.DecisionsGrpcClient;
import dev.modelmux.repo.OnnxModelBuilder;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Models, endpoint definitions and calls for the endpoint tests. */
final class EndpointSupport {
    static final Map<String, String> METADATA = Map.of("dataset", "credit-2026-10", "feature_schema", "fs-3");
    static final List<String> REFS = List.of("user.age", "user.income", "txn.amount", "txn.count_24h");
    /** Raw features to about unit scale inside the models, as in the example repository. */
    private static final float[] SCALE = {1 / 50f, 1 / 50_000f, 1 / 500f, 1 / 5f};

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private EndpointSupport() {}

    /** A risk-style scorer: {@code input} FP32 [4] raw features to {@code output} FP32 [2] probabilities. */
    static byte[] scorer(long seed) {
        return OnnxModelBuilder.mlp()
                .inputDim(4)
                .width(16)
                .depth(1)
                .outputDim(2)
                .inputScale(SCALE)
                .softmax(true)
                .seed(seed)
                .build();
    }

    /** The same signature, but wide and deep enough that a run keeps a core busy for milliseconds. */
    static byte[] slowScorer(long seed) {
        return OnnxModelBuilder.mlp()
                .inputDim(4)
                .width(768)
                .depth(10)
                .outputDim(2)
                .inputScale(SCALE)
                .softmax(true)
                .seed(seed)
                .build();
    }

    /** A scorer's config: every version served, batching up to 64, {@code parameters} as config parameters. */
    static String scorerConfig(String name, int inputDim, Map<String, String> parameters) {
        StringBuilder b =
                new StringBuilder("name: \"" + name + "\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 64\n"
                        + "version_policy: { all { } }\n"
                        + "input [ { name: \"input\" data_type: TYPE_FP32 dims: [ " + inputDim + " ] } ]\n"
                        + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 2 ] } ]\n");
        new TreeMap<>(parameters)
                .forEach((k, v) -> b.append("parameters { key: \"")
                        .append(k)
                        .append("\" value { string_value: \"")
                        .append(v)
                        .append("\" } }\n"));
        return b.toString();
    }

    /** Adds a scorer model with the given versions (each seeded differently) and the standard metadata. */
    static TestRepo scorers(TestRepo repo, String name, long... versions) {
        repo.config(name, scorerConfig(name, 4, METADATA));
        for (long v : versions) {
            repo.file(name, v, scorer(name.hashCode() * 31L + v));
        }
        return repo;
    }

    static JsonObject target(String model, long version) {
        return new JsonObject().put("model", model).put("version", version);
    }

    /**
     * The standard endpoint's feature lookup timeout: long enough that a loaded machine never turns
     * a lookup into defaults (a test that wants a timeout sets its own, far below a slow store's delay).
     */
    static final int FEATURE_TIMEOUT_MS = 10_000;

    /** A deciding endpoint with the standard features, thresholds and metadata, over {@code policy}. */
    static JsonObject endpoint(JsonObject policy) {
        JsonObject defaults = new JsonObject()
                .put("user.age", 35)
                .put("user.income", 40000)
                .put("txn.amount", 50)
                .put("txn.count_24h", 1);
        return new JsonObject()
                .put("metadata", new JsonObject(new TreeMap<>(METADATA)))
                .put("policy", policy)
                .put(
                        "features",
                        new JsonObject()
                                .put("refs", new JsonArray(REFS))
                                .put("defaults", defaults)
                                .put("timeout_ms", FEATURE_TIMEOUT_MS))
                .put(
                        "decision",
                        new JsonObject()
                                .put("output", "output")
                                .put("index", 1)
                                .put(
                                        "thresholds",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("min", 0.8)
                                                        .put("decision", "decline"))
                                                .add(new JsonObject()
                                                        .put("min", 0.5)
                                                        .put("decision", "review")))
                                .put("default", "approve")
                                .put("explanations_ref_prefix", "expl://t/"));
    }

    static JsonObject single(String model, long version) {
        return new JsonObject().put("type", "single").put("targets", new JsonArray().add(target(model, version)));
    }

    static JsonObject weighted(String type, String model, long a, int weightA, long b, int weightB) {
        return new JsonObject()
                .put("type", type)
                .put(
                        "targets",
                        new JsonArray()
                                .add(target(model, a).put("weight", weightA))
                                .add(target(model, b).put("weight", weightB)));
    }

    record Reply(int status, String body, Map<String, List<String>> headers) {
        JsonObject json() {
            return new JsonObject(body);
        }

        String header(String name) {
            List<String> v = headers.get(name);
            return v == null || v.isEmpty() ? null : v.get(0);
        }
    }

    static Reply http(NodeFixture f, String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.node.httpPort() + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(60));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().map());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /** An admin call with the admin token. */
    static Reply admin(NodeFixture f, String method, String path, String body, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "authorization";
        all[1] = "Bearer " + NodeFixture.ADMIN_TOKEN;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return http(f, method, path, body, all);
    }

    /** Writes an endpoint through the admin API; fails the test unless it is accepted. */
    static JsonObject put(NodeFixture f, String name, JsonObject endpoint) {
        Reply r = admin(f, "PUT", "/api/v1/endpoints/" + name, endpoint.encode());
        if (r.status() != 200 && r.status() != 201) {
            throw new AssertionError("PUT endpoint " + name + ": " + r.status() + " " + r.body());
        }
        return r.json();
    }

    static JsonObject decideBody(String endpoint, String entity) {
        return new JsonObject().put("model_name", endpoint).put("entity_id", entity);
    }

    static Reply decide(NodeFixture f, JsonObject body, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "content-type";
        all[1] = "application/json";
        System.arraycopy(headers, 0, all, 2, headers.length);
        return http(f, "POST", "/api/v1/decide", body.encode(), all);
    }

    static Future<OipClient.Reply<DecideResponse>> decideGrpc(
            NodeFixture f, DecideRequest req, Map<String, String> headers) {
        return f.client.callAsync(DecisionsGrpcClient.Decide, req, headers, 0);
    }

    /**
     * A node whose feature store takes {@code delay} for every lookup: the store's fault hook. (This
     * branch's placeholder store is delayed once started; with the feature store's own branch, start
     * the node with its {@code feature-store-delay-ms} setting instead: the only line to change.)
     */
    static NodeFixture startWithSlowFeatures(Path repo, Path data, Duration delay) {
        NodeConfig c = NodeFixture.config(repo, data, 256L << 20, ControlMode.POLL);
        c = c.withFeatures(c.features().withLookupDelay(delay));
        return new NodeFixture(NodeFixture.await(MeshNode.start(c)));
    }

    /** One sample of the node's {@code /metrics} as printed: {@code name} or {@code name{label="value"}}; 0 when absent. */
    static double sample(NodeFixture f, String sample) {
        String body = f.client.getWithToken("/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + " ([0-9.eE+-]+)$")
                .matcher(body);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** The value of one Prometheus series of the node's {@code /metrics}, 0 when absent. */
    static double metric(NodeFixture f, String name, String... labels) {
        String text = f.client.getWithToken("/metrics").body();
        double sum = 0;
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\} ([0-9.eE+-]+)$")
                .matcher(text);
        while (m.find()) {
            boolean all = true;
            for (int i = 0; i + 1 < labels.length; i += 2) {
                all &= m.group(1).contains(labels[i] + "=\"" + labels[i + 1] + "\"");
            }
            if (all) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    static <T> List<T> awaitAll(List<Future<T>> futures) {
        List<T> out = new ArrayList<>();
        for (Future<T> f : futures) {
            out.add(NodeFixture.await(f));
        }
        return out;
    }
}
