package dev.modelmux.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.modelmux.admission.tenant.Admission;
import dev.modelmux.admission.tenant.AdmissionDecision;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantPolicyLoader;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.MeshNode;
import dev.modelmux.node.NodeConfig;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.metrics.ModelHistograms;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.repo.OnnxModelBuilder;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Issue 4's benchmark, in one run on one node over loopback gRPC:
 * <ol>
 *   <li>Noisy neighbour: tenant B alone at a steady rate (p50, p99), then B again while tenant A
 *       floods at 10x its rate quota; A's rejections and how fast they are answered.</li>
 *   <li>Dynamic batching: MiniLM-q under 32 concurrent closed-loop clients with
 *       {@code dynamic_batching}, without it, and in-process ONNX Runtime running batches of the
 *       size the node formed (batching forced: {@code batching: always}).</li>
 *   <li>Batching decided per device ({@code batching: auto}, issue 15): MiniLM-q and a wide MLP
 *       under 32 clients, unbatched, auto and always, in alternating rounds.</li>
 * </ol>
 * Usage: {@code bench/admission [--seconds S] [--b-rate R] [--a-quota Q] [--clients C] [--batch-seconds S]
 * [--auto-rounds N] [--curve 0] [--skip-neighbour 1] [--skip-batching 1]}.
 */
public final class AdmissionBench {
    private AdmissionBench() {}

    private static final String KEY_A = "bench-key-tenant-a-0123456789";
    private static final String KEY_B = "bench-key-tenant-b-0123456789";
    private static final String KEY_C = "bench-key-tenant-c-0123456789";
    private static final String ALWAYS = "parameters { key: \"batching\" value { string_value: \"always\" } }\n";
    private static final int WIDE = 512;

    public static void main(String[] args) throws Exception {
        int seconds = BenchArgs.intArg(args, "--seconds", 10);
        int bRate = BenchArgs.intArg(args, "--b-rate", 100);
        int aQuota = BenchArgs.intArg(args, "--a-quota", 100);
        int clients = BenchArgs.intArg(args, "--clients", 32);
        int batchSeconds = BenchArgs.intArg(args, "--batch-seconds", 10);
        Path models = Path.of(BenchArgs.stringArg(args, "--models", "mesh-node/target/models"));
        int cores = Runtime.getRuntime().availableProcessors();
        Path work = Files.createTempDirectory("modelmux-admission-bench");
        Path repo = work.resolve("repo");

        byte[] mlp = OnnxModelBuilder.mlp()
                .inputDim(256)
                .width(512)
                .depth(3)
                .outputDim(16)
                .seed(3)
                .build();
        write(
                repo,
                "shared-mlp",
                "max_batch_size: 8\ninput [ { name: \"input\" data_type: TYPE_FP32 dims: [ 256 ] } ]\n"
                        + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 16 ] } ]\n",
                mlp);
        byte[] minilm = Files.readAllBytes(models.resolve("all-minilm-l6-v2-q.onnx"));
        String minilmInputs = "input [\n { name: \"input_ids\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                + " { name: \"attention_mask\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                + " { name: \"token_type_ids\" data_type: TYPE_INT64 dims: [ -1 ] }\n]\n";
        int instances = BenchArgs.intArg(args, "--instances", 1);
        int intraOp = BenchArgs.intArg(args, "--intra-op-threads", cores);
        write(
                repo,
                "minilm-batched",
                "max_batch_size: 32\n" + minilmInputs
                        + "instance_group [ { count: " + instances + " kind: KIND_CPU } ]\n"
                        + "dynamic_batching { preferred_batch_size: [ 16, 32 ] max_queue_delay_microseconds: 2000 }\n",
                minilm);
        write(repo, "minilm-plain", "max_batch_size: 32\n" + minilmInputs, minilm);
        write(
                repo,
                "minilm-always",
                "max_batch_size: 32\n" + minilmInputs
                        + "instance_group [ { count: " + instances + " kind: KIND_CPU } ]\n"
                        + "dynamic_batching { preferred_batch_size: [ 16, 32 ] max_queue_delay_microseconds: 2000 }\n"
                        + ALWAYS,
                minilm);
        // A wide MLP, where a batch reads the 16 MB of weights once for all its rows.
        byte[] wide = OnnxModelBuilder.mlp()
                .inputDim(WIDE)
                .width(4096)
                .depth(1)
                .outputDim(WIDE)
                .seed(7)
                .build();
        String wideIo = "max_batch_size: 32\ninput [ { name: \"input\" data_type: TYPE_FP32 dims: [ " + WIDE
                + " ] } ]\noutput [ { name: \"output\" data_type: TYPE_FP32 dims: [ " + WIDE + " ] } ]\n";
        String wideBatching =
                "dynamic_batching { preferred_batch_size: [ 16, 32 ] max_queue_delay_microseconds: 2000 }\n";
        write(repo, "wide-plain", wideIo, wide);
        write(repo, "wide-auto", wideIo + wideBatching, wide);
        write(repo, "wide-always", wideIo + wideBatching + ALWAYS, wide);

        Path tenants = work.resolve("tenants.yaml");
        Files.writeString(
                tenants,
                "tenants:\n"
                        + "  - { id: tenant-a, key_sha256: [ " + TenantPolicy.sha256Hex(KEY_A)
                        + " ], models: [ '*' ], priority: DEFAULT,"
                        + " weight: 1, rate: " + aQuota + ", burst: " + Math.max(1, aQuota / 10)
                        + ", max_in_flight: 64, max_queued: 64 }\n"
                        + "  - { id: tenant-b, key_sha256: [ " + TenantPolicy.sha256Hex(KEY_B)
                        + " ], models: [ '*' ], priority: DEFAULT,"
                        + " weight: 1, rate: " + (bRate * 4) + ", burst: " + Math.max(1, bRate)
                        + ", max_in_flight: 64, max_queued: 64 }\n"
                        + "  - { id: tenant-c, key_sha256: [ " + TenantPolicy.sha256Hex(KEY_C)
                        + " ], models: [ '*' ], priority: DEFAULT,"
                        + " weight: 1, rate: 0, max_in_flight: 1024, max_queued: 1024 }\n");

        NodeConfig config = new NodeConfig(
                        repo.toString(),
                        "127.0.0.1",
                        0,
                        0,
                        List.of(new DeviceSpec("cpu0", DeviceKind.CPU, 0, 4L << 30, cores)),
                        Optional.of("bench-admin-token-0123456789"),
                        work.resolve("data"),
                        ControlMode.POLL,
                        Duration.ofHours(1),
                        NodeConfig.DEFAULT_MAX_MESSAGE_BYTES,
                        NodeConfig.DEFAULT_MAX_TENSOR_ELEMENTS,
                        1.5,
                        intraOp,
                        Duration.ofSeconds(5),
                        false,
                        ClusterConfig.defaults(),
                        Optional.empty(),
                        Optional.empty())
                .withTenants(tenants);
        // Full latency histograms for the MiniLM models: their queue and compute times per model.
        config = config.withServing(config.serving()
                .withModelHistograms(ModelHistograms.parse("minilm-batched,minilm-plain,minilm-always")));
        MeshNode node = await(MeshNode.start(config));
        Vertx vertx = Vertx.vertx();
        GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(64 << 20));
        SocketAddress address = SocketAddress.inetSocketAddress(node.grpcPort(), "127.0.0.1");
        System.out.printf(
                Locale.ROOT,
                "modelmux admission bench: %d cores, %s%n%n",
                cores,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));

        if (BenchArgs.intArg(args, "--curve", 1) == 1) {
            for (int b : new int[] {1, 2, 4, 8, 16, 32}) {
                System.out.printf(
                        Locale.ROOT,
                        "in-process MiniLM-q, batches of %2d: %6.0f sequences/s (1 thread: %6.0f)%n",
                        b,
                        inProcessBatched(minilm, 32, b, 3, 0),
                        inProcessBatched(minilm, 32, b, 3, 1));
            }
        }
        decisionCost(tenants);
        if (BenchArgs.intArg(args, "--skip-neighbour", 0) == 0) {
            neighbour(vertx, grpc, address, bRate, aQuota, seconds);
        }
        if (BenchArgs.intArg(args, "--skip-batching", 0) == 0) {
            batching(node, grpc, address, minilm, clients, batchSeconds);
        }
        int rounds = BenchArgs.intArg(args, "--auto-rounds", 2);
        autoBatching(
                node.httpPort(),
                grpc,
                address,
                "MiniLM-q, 32 tokens",
                "minilm",
                tokens("minilm-plain", 32),
                clients,
                batchSeconds,
                rounds);
        autoBatching(
                node.httpPort(),
                grpc,
                address,
                "wide MLP 512-4096-512",
                "wide",
                fp32("wide-plain", wideInput()),
                clients,
                batchSeconds,
                rounds);
        await(grpc.close());
        await(vertx.close());
        await(node.close());
    }

    /** What one admission decision costs on its own, for a request refused by the rate quota. */
    static void decisionCost(Path tenants) throws Exception {
        Admission admission = Admission.create(TenantPolicyLoader.load(tenants), System.nanoTime());
        String auth = "Bearer " + KEY_A;
        int n = 2_000_000;
        long rejected = 0;
        for (int round = 0; round < 2; round++) { // the first round warms the JIT
            rejected = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                var d = admission.admit(auth, "shared-mlp", 1024, System.nanoTime());
                if (d instanceof AdmissionDecision.Admitted a) {
                    a.ticket().close();
                } else {
                    rejected++;
                }
            }
            long per = (System.nanoTime() - t0) / n;
            if (round == 1) {
                System.out.printf(
                        Locale.ROOT,
                        "admission decision, in-process: %d ns each (%d of %d refused by the rate quota)%n%n",
                        per,
                        rejected,
                        n);
            }
        }
    }

    static void neighbour(Vertx vertx, GrpcClient grpc, SocketAddress address, int bRate, int aQuota, int seconds)
            throws Exception {
        // ---- 1. noisy neighbour ----
        float[] x = new float[256];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.1);
        }
        ModelInferRequest mlpReq = fp32("shared-mlp", x);
        // Warm both paths (B's served requests, A's rejections) before measuring anything.
        openLoop(vertx, grpc, address, mlpReq, KEY_B, bRate, 3);
        openLoop(vertx, grpc, address, mlpReq, KEY_A, aQuota * 10, 3);
        Thread.sleep(1000);
        Load solo = openLoop(vertx, grpc, address, mlpReq, KEY_B, bRate, seconds);
        Load flood = new Load();
        Load underFlood;
        {
            Thread a = new Thread(
                    () -> flood.add(openLoop(vertx, grpc, address, mlpReq, KEY_A, aQuota * 10, seconds + 1)));
            a.start();
            Thread.sleep(500);
            underFlood = openLoop(vertx, grpc, address, mlpReq, KEY_B, bRate, seconds);
            a.join();
        }
        System.out.printf(
                Locale.ROOT,
                "noisy neighbour (model shared-mlp, B at %d req/s open loop, A's quota %d req/s, A offers %d req/s)%n",
                bRate,
                aQuota,
                aQuota * 10);
        System.out.printf(Locale.ROOT, "%-28s %9s %9s %9s %9s %9s%n", "", "sent", "ok", "errors", "p50 us", "p99 us");
        solo.print("B alone");
        underFlood.print("B while A floods");
        flood.print("A (flooding)");
        System.out.printf(
                Locale.ROOT,
                "A rejected (RESOURCE_EXHAUSTED): %d, answered in p50 %.0f us, p99 %.0f us%n",
                flood.rejected.get(),
                flood.rejectedLatency.getValueAtPercentile(50) / 1e3,
                flood.rejectedLatency.getValueAtPercentile(99) / 1e3);
        System.out.printf(
                Locale.ROOT,
                "B p99 under flood / alone: %.2fx (target <= 1.2x), B errors under flood: %d (target 0)%n%n",
                underFlood.ok.getValueAtPercentile(99) / Math.max(1.0, solo.ok.getValueAtPercentile(99)),
                underFlood.errors.get());
    }

    static void batching(
            MeshNode node, GrpcClient grpc, SocketAddress address, byte[] minilm, int clients, int batchSeconds)
            throws Exception {
        // ---- 2. dynamic batching ----
        int tokens = 32;
        // Forced batching: what this phase measured before batching was decided per device (see autoBatching).
        ModelInferRequest batched = tokens("minilm-always", tokens);
        ModelInferRequest plain = tokens("minilm-plain", tokens);
        for (int i = 0; i < 50; i++) {
            call(grpc, address, batched, KEY_C)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get();
            call(grpc, address, plain, KEY_C)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get();
        }
        double before = metric(node.httpPort(), "modelmux_batch_size_sum{model=\"minilm-always\"");
        double beforeCount = metric(node.httpPort(), "modelmux_batch_size_count{model=\"minilm-always\"");
        double withBatching = closedLoop(grpc, address, batched, KEY_C, clients, batchSeconds);
        double meanBatch = (metric(node.httpPort(), "modelmux_batch_size_sum{model=\"minilm-always\"") - before)
                / Math.max(
                        1, metric(node.httpPort(), "modelmux_batch_size_count{model=\"minilm-always\"") - beforeCount);
        System.out.println(serverSide(node.httpPort(), "minilm-always"));
        double without = closedLoop(grpc, address, plain, KEY_C, clients, batchSeconds);
        System.out.println(serverSide(node.httpPort(), "minilm-plain"));
        int b = Math.max(1, (int) Math.round(meanBatch));
        double inProcess = inProcessBatched(minilm, tokens, b, batchSeconds);
        System.out.printf(
                Locale.ROOT,
                "dynamic batching (MiniLM-q, %d tokens, %d concurrent clients, %d s each)%n",
                tokens,
                clients,
                batchSeconds);
        System.out.printf(
                Locale.ROOT,
                "%-44s %10.0f sequences/s%n",
                "mesh, dynamic batching (mean batch " + String.format(Locale.ROOT, "%.1f", meanBatch) + ")",
                withBatching);
        System.out.printf(Locale.ROOT, "%-44s %10.0f sequences/s%n", "mesh, no batching", without);
        System.out.printf(
                Locale.ROOT, "%-44s %10.0f sequences/s%n", "in-process ONNX Runtime, batches of " + b, inProcess);
        System.out.printf(
                Locale.ROOT,
                "batching / no batching: %.2fx (target >= 2x); batching / in-process batched: %.2fx (target >= 0.85x)%n",
                withBatching / without,
                withBatching / inProcess);
    }

    /**
     * Batching decided per device ({@code batching: auto}, the default) against none and against
     * forced batching: {@code clients} closed-loop clients on {@code <prefix>-plain} (no
     * dynamic_batching), {@code <prefix>-auto} (or {@code minilm-batched}) and {@code <prefix>-always},
     * in alternating rounds of {@code seconds} each; prints rows/s, the ratios and the decision.
     */
    static void autoBatching(
            int httpPort,
            GrpcClient grpc,
            SocketAddress address,
            String label,
            String prefix,
            ModelInferRequest plain,
            int clients,
            int seconds,
            int rounds)
            throws Exception {
        String autoName = prefix.equals("minilm") ? "minilm-batched" : prefix + "-auto";
        List<String> names = List.of(prefix + "-plain", autoName, prefix + "-always");
        double[] rows = new double[3];
        for (String n : names) {
            ModelInferRequest r = plain.toBuilder().setModelName(n).build();
            for (int i = 0; i < 20; i++) {
                call(grpc, address, r, KEY_C)
                        .toCompletionStage()
                        .toCompletableFuture()
                        .get();
            }
        }
        for (int round = 0; round < rounds; round++) {
            for (int i = 0; i < 3; i++) {
                ModelInferRequest r =
                        plain.toBuilder().setModelName(names.get(i)).build();
                rows[i] += closedLoop(grpc, address, r, KEY_C, clients, seconds) / rounds;
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%nbatching decided per device (%s, %d concurrent clients, %d rounds of %d s each, alternating)%n",
                label,
                clients,
                rounds,
                seconds);
        System.out.printf(Locale.ROOT, "%-44s %10.0f rows/s%n", "no batching", rows[0]);
        System.out.printf(Locale.ROOT, "%-44s %10.0f rows/s%n", "batching: auto (the default)", rows[1]);
        System.out.printf(Locale.ROOT, "%-44s %10.0f rows/s%n", "batching: always", rows[2]);
        System.out.printf(
                Locale.ROOT,
                "auto / none: %.2fx (target >= 1.0x); always / none: %.2fx%n",
                rows[1] / rows[0],
                rows[2] / rows[0]);
        System.out.println("  decision: " + decision(httpPort, autoName));
    }

    /** The node's batching decision for {@code model}, as the admin API shows it. */
    private static String decision(int httpPort, String model) throws Exception {
        String body = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/api/v1/models"))
                                .header("authorization", "Bearer bench-admin-token-0123456789")
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        for (Object o : new io.vertx.core.json.JsonObject(body).getJsonArray("models")) {
            io.vertx.core.json.JsonObject m = (io.vertx.core.json.JsonObject) o;
            if (m.getString("name").equals(model)) {
                return String.valueOf(m.getJsonArray("batching_here"));
            }
        }
        return "(model not listed)";
    }

    private static float[] wideInput() {
        float[] x = new float[WIDE];
        for (int i = 0; i < WIDE; i++) {
            x[i] = (i % 17) / 17f;
        }
        return x;
    }

    /** Latencies and outcomes of one load. */
    static final class Load {
        final Histogram ok = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final Histogram rejectedLatency = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        final AtomicLong sent = new AtomicLong();
        final AtomicLong rejected = new AtomicLong();
        final AtomicLong errors = new AtomicLong();

        synchronized void add(Load o) {
            ok.add(o.ok);
            rejectedLatency.add(o.rejectedLatency);
            sent.addAndGet(o.sent.get());
            rejected.addAndGet(o.rejected.get());
            errors.addAndGet(o.errors.get());
        }

        void print(String label) {
            System.out.printf(
                    Locale.ROOT,
                    "%-28s %9d %9d %9d %9.0f %9.0f%n",
                    label,
                    sent.get(),
                    ok.getTotalCount(),
                    errors.get(),
                    ok.getValueAtPercentile(50) / 1e3,
                    ok.getValueAtPercentile(99) / 1e3);
        }
    }

    /**
     * Sends at a fixed rate regardless of answers (open loop, so a slow server cannot slow the
     * sender and hide its latency), for {@code seconds}; waits for every answer.
     */
    static Load openLoop(
            Vertx vertx,
            GrpcClient grpc,
            SocketAddress address,
            ModelInferRequest req,
            String key,
            int rate,
            int seconds) {
        Load load = new Load();
        Recorder okRec = new Recorder(3);
        Recorder rejRec = new Recorder(3);
        long total = (long) rate * seconds;
        CountDownLatch done = new CountDownLatch((int) total);
        long start = System.nanoTime();
        long intervalNanos = 1_000_000_000L / rate;
        AtomicLong next = new AtomicLong();
        // A 1 ms tick sends everything that is due: up to rate/1000 per tick at high rates.
        long timer = vertx.setPeriodic(1, id -> {
            long due = Math.min(total, (System.nanoTime() - start) / intervalNanos + 1);
            while (next.get() < due) {
                next.incrementAndGet();
                load.sent.incrementAndGet();
                long t0 = System.nanoTime();
                call(grpc, address, req, key).onComplete(ar -> {
                    long took = System.nanoTime() - t0;
                    if (ar.succeeded() && ar.result() == GrpcStatus.OK) {
                        okRec.recordValue(took);
                    } else if (ar.succeeded() && ar.result() == GrpcStatus.RESOURCE_EXHAUSTED) {
                        load.rejected.incrementAndGet();
                        rejRec.recordValue(took);
                    } else {
                        load.errors.incrementAndGet();
                    }
                    done.countDown();
                });
            }
        });
        try {
            done.await(seconds + 60L, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        vertx.cancelTimer(timer);
        load.ok.add(okRec.getIntervalHistogram());
        load.rejectedLatency.add(rejRec.getIntervalHistogram());
        return load;
    }

    /** {@code clients} callers each sending its next request when the last one is answered; returns sequences/s. */
    static double closedLoop(
            GrpcClient grpc, SocketAddress address, ModelInferRequest req, String key, int clients, int seconds)
            throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(clients);
        long start = System.nanoTime();
        for (int i = 0; i < clients; i++) {
            loop(grpc, address, req, key, end, answered, failed, done);
        }
        done.await();
        if (failed.get() > 0) {
            System.out.println("  (" + failed.get() + " requests failed)");
        }
        return answered.get() * req.getInputs(0).getShape(0) / ((System.nanoTime() - start) / 1e9);
    }

    private static void loop(
            GrpcClient grpc,
            SocketAddress address,
            ModelInferRequest req,
            String key,
            long end,
            AtomicInteger answered,
            AtomicInteger failed,
            CountDownLatch done) {
        if (System.nanoTime() >= end) {
            done.countDown();
            return;
        }
        call(grpc, address, req, key).onComplete(ar -> {
            if (ar.succeeded() && ar.result() == GrpcStatus.OK) {
                answered.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
            loop(grpc, address, req, key, end, answered, failed, done);
        });
    }

    /** In-process ONNX Runtime on batches of {@code batch} sequences, one caller thread; returns sequences/s. */
    static double inProcessBatched(byte[] model, int tokens, int batch, int seconds) throws Exception {
        return inProcessBatched(model, tokens, batch, seconds, 0);
    }

    /** @param threads intra-op threads of the session; 0 for ONNX Runtime's default (one per core) */
    static double inProcessBatched(byte[] model, int tokens, int batch, int seconds, int threads) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        long[] ids = new long[batch * tokens];
        long[] mask = new long[batch * tokens];
        for (int i = 0; i < ids.length; i++) {
            int t = i % tokens;
            ids[i] = t == 0 ? 101 : t == tokens - 1 ? 102 : 1000 + (t * 37) % 20000;
            mask[i] = 1;
        }
        long[] shape = {batch, tokens};
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            if (threads > 0) {
                o.setIntraOpNumThreads(threads);
            }
            return inProcessRun(env, o, model, ids, mask, shape, batch, seconds);
        }
    }

    private static double inProcessRun(
            OrtEnvironment env,
            OrtSession.SessionOptions o,
            byte[] model,
            long[] ids,
            long[] mask,
            long[] shape,
            int batch,
            int seconds)
            throws Exception {
        try (OrtSession s = env.createSession(model, o)) {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            long start = System.nanoTime();
            long runs = 0;
            for (int warm = 0; warm < 5 || System.nanoTime() < end; warm++) {
                try (OnnxTensor a = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
                        OnnxTensor m = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape);
                        OnnxTensor tt = OnnxTensor.createTensor(env, LongBuffer.wrap(new long[ids.length]), shape);
                        OrtSession.Result r =
                                s.run(Map.of("input_ids", a, "attention_mask", m, "token_type_ids", tt))) {
                    ((OnnxTensor) r.get(0)).getByteBuffer();
                }
                runs++;
            }
            return runs * batch / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static Future<GrpcStatus> call(GrpcClient grpc, SocketAddress address, ModelInferRequest req, String key) {
        return grpc.request(address, GRPCInferenceServiceGrpcClient.ModelInfer)
                .compose(r -> {
                    r.headers().set("authorization", "Bearer " + key);
                    r.end(req);
                    return r.response();
                })
                .compose(resp -> resp.last().<GrpcStatus>transform(ar -> Future.succeededFuture(resp.status())));
    }

    private static ModelInferRequest fp32(String model, float[] x) {
        ByteBuffer buf = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : x) {
            buf.putFloat(v);
        }
        return ModelInferRequest.newBuilder()
                .setModelName(model)
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("FP32")
                        .addShape(1)
                        .addShape(x.length))
                .addRawInputContents(ByteString.copyFrom(buf.array()))
                .build();
    }

    private static ModelInferRequest tokens(String model, int tokens) {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
        for (String name : List.of("input_ids", "attention_mask", "token_type_ids")) {
            ByteBuffer buf = ByteBuffer.allocate(tokens * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (int t = 0; t < tokens; t++) {
                long v = switch (name) {
                    case "input_ids" -> t == 0 ? 101 : t == tokens - 1 ? 102 : 1000 + (t * 37) % 20000;
                    case "attention_mask" -> 1;
                    default -> 0;
                };
                buf.putLong(v);
            }
            b.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(name)
                    .setDatatype("INT64")
                    .addShape(1)
                    .addShape(tokens));
            b.addRawInputContents(ByteString.copyFrom(buf.array()));
        }
        return b.build();
    }

    private static void write(Path repo, String name, String config, byte[] model) throws Exception {
        Path dir = repo.resolve(name);
        Files.createDirectories(dir.resolve("1"));
        Files.writeString(
                dir.resolve("config.pbtxt"), "name: \"" + name + "\"\nplatform: \"onnxruntime_onnx\"\n" + config);
        Files.write(dir.resolve("1").resolve("model.onnx"), model);
    }

    /** Mean server-side times per request from the node's histograms (request, queue wait, compute of its run). */
    private static String serverSide(int httpPort, String model) throws Exception {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %s server-side means:", model));
        for (String phase : List.of("request", "queue", "compute")) {
            String prefix = "modelmux_inference_" + phase + "_duration_seconds_";
            double sum = metric(httpPort, prefix + "sum{model=\"" + model + "\"");
            double count = metric(httpPort, prefix + "count{model=\"" + model + "\"");
            b.append(String.format(Locale.ROOT, " %s %.0f us", phase, count == 0 ? 0 : sum / count * 1e6));
        }
        return b.toString();
    }

    private static double metric(int httpPort, String prefix) throws Exception {
        String text = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                                // with tenants, the REST port's /metrics needs the admin token
                                .header("authorization", "Bearer bench-admin-token-0123456789")
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
