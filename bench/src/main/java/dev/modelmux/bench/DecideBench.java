package dev.modelmux.bench;

import com.google.protobuf.ByteString;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.MeshNode;
import dev.modelmux.node.NodeConfig;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.node.v1.DecisionsGrpcClient;
import dev.modelmux.repo.OnnxModelBuilder;
import io.vertx.core.Future;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The decision API's overhead, measured side by side in one run on one in-process node over
 * loopback gRPC, with the same model and the same feature values: plain ModelInfer on the model
 * version, ModelInfer through the endpoint's name, Decide (feature fetch, routing, model, decision,
 * log), and Decide on an endpoint whose features are cached; then the feature store's own lookup
 * latency with and without its cache. Then (first) decisions/s under each {@code log-durability}:
 * {@code none}, {@code interval}, {@code always}. Usage: {@code bench/decide [--iterations N]
 * [--entities E] [--phase all|latency|durability] [--durability-requests N] [--concurrency C]}.
 */
public final class DecideBench {
    private static final String TOKEN = "bench-admin-token-0123456789";
    private static final List<String> REFS = List.of("user.age", "user.income", "txn.amount", "txn.count_24h");
    private static final float[] FEATURES = {35, 40000, 50, 1};

    private DecideBench() {}

    public static void main(String[] args) throws Exception {
        int iterations = BenchArgs.intArg(args, "--iterations", 5000);
        int entities = BenchArgs.intArg(args, "--entities", 1000);
        String phase = BenchArgs.stringArg(args, "--phase", "all");
        if (!List.of("all", "latency", "durability").contains(phase)) {
            throw new IllegalArgumentException("--phase: all, latency or durability, was " + phase);
        }
        Path work = Files.createTempDirectory("modelmux-decide-bench");
        Path repo = work.resolve("repo");
        Files.createDirectories(repo.resolve("risk/1"));
        Files.writeString(
                repo.resolve("risk/config.pbtxt"),
                "name: \"risk\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 64\n"
                        + "input [ { name: \"input\" data_type: TYPE_FP32 dims: [ 4 ] } ]\n"
                        + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 2 ] } ]\n"
                        + "parameters { key: \"dataset\" value { string_value: \"bench\" } }\n");
        Files.write(
                repo.resolve("risk/1/model.onnx"),
                OnnxModelBuilder.mlp()
                        .inputDim(4)
                        .width(16)
                        .depth(1)
                        .outputDim(2)
                        .inputScale(1 / 50f, 1 / 50_000f, 1 / 500f, 1 / 5f)
                        .softmax(true)
                        .seed(1)
                        .build());
        Path endpoints = work.resolve("endpoints.yaml");
        Files.writeString(endpoints, "endpoints:\n" + endpoint("decide", 0) + endpoint("decide-cached", 60_000));

        int cores = Runtime.getRuntime().availableProcessors();
        if (!phase.equals("latency")) {
            durability(
                    work,
                    repo,
                    BenchArgs.intArg(args, "--durability-requests", 20_000),
                    BenchArgs.intArg(args, "--concurrency", 32),
                    cores);
            if (phase.equals("durability")) {
                return;
            }
        }
        NodeConfig config = config(repo, work.resolve("data"), cores).withEndpoints(endpoints);
        MeshNode node = await(MeshNode.start(config));
        String loaded = loadFeatures(node.httpPort(), entities);
        GrpcClient grpc = GrpcClient.client(node.vertx(), new GrpcClientOptions());
        SocketAddress address = SocketAddress.inetSocketAddress(node.grpcPort(), "127.0.0.1");
        GRPCInferenceServiceGrpcClient oip = GRPCInferenceServiceGrpcClient.create(grpc, address);
        DecisionsGrpcClient decisions = DecisionsGrpcClient.create(grpc, address);

        ModelInferRequest plain = infer("risk", "");
        Map<String, IntFunction<Future<?>>> paths = new LinkedHashMap<>();
        paths.put("ModelInfer risk:1", i -> oip.modelInfer(plain));
        paths.put("ModelInfer via endpoint", i -> oip.modelInfer(infer("decide", "entity-" + i % entities)));
        paths.put("Decide", i -> decisions.decide(decide("decide", i % entities)));
        paths.put("Decide, cached features", i -> decisions.decide(decide("decide-cached", i % entities)));

        System.out.printf(
                Locale.ROOT,
                "modelmux decide bench: %d iterations per path, %d entities, %d cores, %s %s%n",
                iterations,
                entities,
                cores,
                System.getProperty("java.vm.name"),
                System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "features: %s%n%n", loaded);
        // Warm every path (and the cache), then measure them interleaved in rounds so drift hits all alike.
        for (int i = 0; i < Math.min(2000, iterations); i++) {
            for (IntFunction<Future<?>> p : paths.values()) {
                await(p.apply(i));
            }
        }
        Map<String, Histogram> h = new LinkedHashMap<>();
        paths.keySet().forEach(k -> h.put(k, new Histogram(TimeUnit.SECONDS.toNanos(10), 3)));
        int rounds = 10;
        for (int r = 0; r < rounds; r++) {
            for (Map.Entry<String, IntFunction<Future<?>>> p : paths.entrySet()) {
                for (int i = 0; i < iterations / rounds; i++) {
                    long t = System.nanoTime();
                    await(p.getValue().apply(r * iterations + i));
                    h.get(p.getKey()).recordValue(System.nanoTime() - t);
                }
            }
        }
        System.out.printf(Locale.ROOT, "%-26s %10s %10s%n", "path (gRPC, loopback)", "p50 us", "p99 us");
        h.forEach((k, v) -> System.out.printf(Locale.ROOT, "%-26s %10.0f %10.0f%n", k, p(v, 50), p(v, 99)));

        Histogram fetch = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        Histogram cached = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        Map<String, Double> defaults =
                Map.of("user.age", 35.0, "user.income", 40000.0, "txn.amount", 50.0, "txn.count_24h", 1.0);
        for (int i = 0; i < iterations; i++) {
            String entity = "entity-" + i % entities;
            long t = System.nanoTime();
            node.featureStore()
                    .fetch(entity, REFS, defaults, Duration.ofMillis(100), Duration.ZERO)
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            fetch.recordValue(System.nanoTime() - t);
            t = System.nanoTime();
            node.featureStore()
                    .fetch(entity, REFS, defaults, Duration.ofMillis(100), Duration.ofMinutes(1))
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            cached.recordValue(System.nanoTime() - t);
        }
        System.out.printf(Locale.ROOT, "%n%-26s %10s %10s%n", "feature fetch (in-process)", "p50 us", "p99 us");
        System.out.printf(Locale.ROOT, "%-26s %10.0f %10.0f%n", "no cache", p(fetch, 50), p(fetch, 99));
        System.out.printf(
                Locale.ROOT, "%-26s %10.0f %10.0f%n", "cache (1 min staleness)", p(cached, 50), p(cached, 99));

        Histogram base = h.get("ModelInfer risk:1");
        System.out.println();
        for (String k : List.of("ModelInfer via endpoint", "Decide", "Decide, cached features")) {
            Histogram x = h.get(k);
            System.out.printf(
                    Locale.ROOT,
                    "%-26s / plain ModelInfer: p50 %.2fx (%+.0f us), p99 %.2fx (%+.0f us)%n",
                    k,
                    p(x, 50) / p(base, 50),
                    p(x, 50) - p(base, 50),
                    p(x, 99) / p(base, 99),
                    p(x, 99) - p(base, 99));
        }
        System.out.printf(
                Locale.ROOT,
                "%-26s / no cache:         p50 %.2fx, p99 %.2fx%n",
                "feature fetch, cached",
                p(cached, 50) / p(fetch, 50),
                p(cached, 99) / p(fetch, 99));
        await(grpc.close());
        await(node.close());
    }

    private static NodeConfig config(Path repo, Path data, int cores) {
        return new NodeConfig(
                repo.toString(),
                "127.0.0.1",
                0,
                0,
                List.of(new DeviceSpec("cpu0", DeviceKind.CPU, 0, 1L << 30, cores)),
                Optional.of(TOKEN),
                data,
                ControlMode.POLL,
                Duration.ofHours(1),
                NodeConfig.DEFAULT_MAX_MESSAGE_BYTES,
                NodeConfig.DEFAULT_MAX_TENSOR_ELEMENTS,
                1.5,
                cores,
                Duration.ofSeconds(5),
                false,
                ClusterConfig.defaults().withPort(0),
                Optional.empty(),
                Optional.empty());
    }

    /** The log-durability modes compared, each on a node of its own (fresh data dir, same disk). */
    private static final List<String> MODES = List.of("none", "interval", "always");

    /**
     * Decisions/s under each {@code log-durability}: one node per mode in this JVM (on the same disk,
     * under the temporary directory), {@code concurrency} Decide calls in flight over loopback gRPC,
     * the modes measured in interleaved rounds so that drift hits all alike; with each mode's
     * latency and the records written per fsync (group commit).
     */
    private static void durability(Path work, Path repo, int requests, int concurrency, int cores) throws Exception {
        Path endpoints = work.resolve("endpoints-durability.yaml");
        Files.writeString(endpoints, "endpoints:\n" + endpoint("decide", 0));
        Map<String, MeshNode> nodes = new LinkedHashMap<>();
        Map<String, DecisionsGrpcClient> clients = new LinkedHashMap<>();
        List<GrpcClient> grpcs = new ArrayList<>();
        for (String mode : MODES) {
            NodeConfig c = config(repo, work.resolve("data-" + mode), cores).withEndpoints(endpoints);
            c = c.withPredictionLog(c.predictionLog()
                    .withDurability(
                            LogDurability.parse(mode, "mode"), c.predictionLog().fsyncInterval()));
            MeshNode n = await(MeshNode.start(c));
            nodes.put(mode, n);
            GrpcClient g = GrpcClient.client(n.vertx(), new GrpcClientOptions());
            grpcs.add(g);
            clients.put(
                    mode, DecisionsGrpcClient.create(g, SocketAddress.inetSocketAddress(n.grpcPort(), "127.0.0.1")));
        }
        System.out.printf(
                Locale.ROOT,
                "log-durability: %d Decide calls per mode, %d in flight, %d cores, data dirs under %s%n",
                requests,
                concurrency,
                cores,
                work);
        for (String mode : MODES) {
            closedLoop(clients.get(mode), Math.min(2000, requests), concurrency, new ConcurrentHistogram(3));
        }
        Map<String, ConcurrentHistogram> latency = new LinkedHashMap<>();
        Map<String, long[]> totals = new LinkedHashMap<>(); // nanos, fsyncs, written, failed
        MODES.forEach(m -> {
            latency.put(m, new ConcurrentHistogram(3));
            totals.put(m, new long[4]);
        });
        int rounds = 4;
        for (int r = 0; r < rounds; r++) {
            for (String mode : MODES) {
                MeshNode n = nodes.get(mode);
                long fsyncs = (long) metric(n.httpPort(), "modelmux_prediction_log_fsyncs_total");
                long written = (long) metric(n.httpPort(), "modelmux_prediction_log_written_total");
                long[] t = totals.get(mode);
                long[] run = closedLoop(clients.get(mode), requests / rounds, concurrency, latency.get(mode));
                t[0] += run[0];
                t[3] += run[1];
                t[1] += (long) metric(n.httpPort(), "modelmux_prediction_log_fsyncs_total") - fsyncs;
                t[2] += (long) metric(n.httpPort(), "modelmux_prediction_log_written_total") - written;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%-10s %12s %9s %9s %10s %12s %7s%n",
                "mode",
                "decisions/s",
                "p50 us",
                "p99 us",
                "fsyncs",
                "records/fsync",
                "failed");
        double base = 0;
        for (String mode : MODES) {
            long[] t = totals.get(mode);
            double rate = (requests / rounds) * (double) rounds / (t[0] / 1e9);
            if (mode.equals("none")) {
                base = rate;
            }
            System.out.printf(
                    Locale.ROOT,
                    "%-10s %12.0f %9.0f %9.0f %10d %12s %7d%n",
                    mode,
                    rate,
                    latency.get(mode).getValueAtPercentile(50) / 1000.0,
                    latency.get(mode).getValueAtPercentile(99) / 1000.0,
                    t[1],
                    t[1] == 0 ? "-" : String.format(Locale.ROOT, "%.1f", t[2] / (double) t[1]),
                    t[3]);
        }
        for (String mode : List.of("interval", "always")) {
            long[] t = totals.get(mode);
            double rate = (requests / rounds) * (double) rounds / (t[0] / 1e9);
            System.out.printf(Locale.ROOT, "%s / none: %.2fx decisions/s%n", mode, rate / base);
        }
        System.out.println();
        for (GrpcClient g : grpcs) {
            await(g.close());
        }
        for (MeshNode n : nodes.values()) {
            await(n.close());
        }
    }

    /**
     * {@code n} Decide calls, {@code concurrency} in flight at a time (each lane sends its next call
     * when its last one is answered); returns the elapsed nanos and the failed calls.
     */
    private static long[] closedLoop(DecisionsGrpcClient client, int n, int concurrency, ConcurrentHistogram h)
            throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger lanes = new AtomicInteger(concurrency);
        AtomicLong failed = new AtomicLong();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long t0 = System.nanoTime();
        for (int l = 0; l < concurrency; l++) {
            lane(client, n, next, lanes, failed, done, h);
        }
        done.get(10, TimeUnit.MINUTES);
        return new long[] {System.nanoTime() - t0, failed.get()};
    }

    private static void lane(
            DecisionsGrpcClient client,
            int n,
            AtomicInteger next,
            AtomicInteger lanes,
            AtomicLong failed,
            CompletableFuture<Void> done,
            ConcurrentHistogram h) {
        int i = next.getAndIncrement();
        if (i >= n) {
            if (lanes.decrementAndGet() == 0) {
                done.complete(null);
            }
            return;
        }
        long t = System.nanoTime();
        client.decide(decide("decide", i % 1000)).onComplete(ar -> {
            h.recordValue(System.nanoTime() - t);
            if (ar.failed()) {
                failed.incrementAndGet();
            }
            lane(client, n, next, lanes, failed, done, h);
        });
    }

    /** One unlabelled series of the node's /metrics (the bench's admin token). */
    private static double metric(int httpPort, String name) throws Exception {
        String text = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                                .header("authorization", "Bearer " + TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static String endpoint(String name, long staleness) {
        return "  - name: " + name + "\n"
                + "    metadata: {dataset: bench}\n"
                + "    policy: {type: single, targets: [{model: risk, version: 1}]}\n"
                + "    features:\n"
                + "      refs: [" + String.join(", ", REFS) + "]\n"
                + "      defaults: {user.age: 35, user.income: 40000, txn.amount: 50, txn.count_24h: 1}\n"
                + "      timeout_ms: 100\n"
                + "      cache_staleness_ms: " + staleness + "\n"
                + "    decision: {output: output, index: 1, thresholds: [{min: 0.8, decision: decline}], default: approve}\n"
                + "    ladder: {safe_default: {decision: review, score: 0.5}}\n";
    }

    /**
     * Loads the same values for every entity through {@code PUT /api/v1/features} when the build
     * has the feature store's API; otherwise every lookup misses and gives the defaults (equal
     * values, so the model's work is the same either way).
     */
    private static String loadFeatures(int httpPort, int entities) throws Exception {
        StringBuilder b = new StringBuilder("{\"features\": [");
        for (int i = 0; i < entities; i++) {
            b.append(i == 0 ? "" : ",")
                    .append("{\"entity_id\": \"entity-")
                    .append(i)
                    .append("\", \"values\": {");
            for (int k = 0; k < REFS.size(); k++) {
                b.append(k == 0 ? "" : ",")
                        .append('"')
                        .append(REFS.get(k))
                        .append("\": ")
                        .append(FEATURES[k]);
            }
            b.append("}}");
        }
        b.append("]}");
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/v1/features"))
                                .header("authorization", "Bearer " + TOKEN)
                                .header("content-type", "application/json")
                                .PUT(HttpRequest.BodyPublishers.ofString(b.toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return r.statusCode() / 100 == 2
                ? entities + " entities loaded into the feature store"
                : "this build has no feature store API (PUT /api/v1/features answered " + r.statusCode()
                        + "): every lookup misses and takes the defaults";
    }

    private static ModelInferRequest infer(String model, String entity) {
        ByteBuffer buf = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : FEATURES) {
            buf.putFloat(f);
        }
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder()
                .setModelName(model)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("FP32")
                        .addShape(1)
                        .addShape(4))
                .addRawInputContents(ByteString.copyFrom(buf.array()));
        if (!entity.isEmpty()) {
            b.putParameters(
                    "entity_id",
                    InferParameter.newBuilder().setStringParam(entity).build());
        }
        return b.build();
    }

    private static DecideRequest decide(String endpoint, int entity) {
        return DecideRequest.newBuilder()
                .setModelName(endpoint)
                .setEntityId("entity-" + entity)
                .build();
    }

    private static double p(Histogram h, double q) {
        return h.getValueAtPercentile(q) / 1000.0;
    }

    private static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
