package dev.modelmux.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
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
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * The same model and input through (a) in-process ONNX Runtime {@code session.run} and (b) a
 * modelmux node over loopback gRPC, measured side by side in one run: p50, p99 and throughput
 * with their ratios; then the first request of an unloaded model against in-process session
 * creation plus first run. Usage: {@code bench/run [--iterations N] [--concurrency C]}.
 */
public final class ServingBench {
    private ServingBench() {}

    /** A model under test: its bytes, config and one request's inputs. */
    record Case(
            String name,
            byte[] model,
            String config,
            Map<String, long[]> int64,
            Map<String, float[]> fp32,
            long[] shape) {}

    public static void main(String[] args) throws Exception {
        int iterations = BenchArgs.intArg(args, "--iterations", 2000);
        int concurrency = BenchArgs.intArg(args, "--concurrency", 8);
        int colds = BenchArgs.intArg(args, "--cold-runs", 5);
        int intraOp = BenchArgs.intArg(
                args, "--intra-op-threads", Runtime.getRuntime().availableProcessors());
        int inferThreads =
                BenchArgs.intArg(args, "--infer-threads", Runtime.getRuntime().availableProcessors());
        Path models = Path.of(BenchArgs.stringArg(args, "--models", "mesh-node/target/models"));
        Path work = Files.createTempDirectory("modelmux-bench");

        int tokens = 32;
        long[] ids = new long[tokens];
        long[] mask = new long[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = i == 0 ? 101 : i == tokens - 1 ? 102 : 1000 + (i * 37) % 20000;
            mask[i] = 1;
        }
        Case minilm = new Case(
                "minilm-q",
                Files.readAllBytes(models.resolve("all-minilm-l6-v2-q.onnx")),
                "platform: \"onnxruntime_onnx\"\nmax_batch_size: 8\ninput [\n"
                        + " { name: \"input_ids\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                        + " { name: \"attention_mask\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                        + " { name: \"token_type_ids\" data_type: TYPE_INT64 dims: [ -1 ] }\n]\n",
                Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", new long[tokens]),
                Map.of(),
                new long[] {1, tokens});
        float[] x = new float[16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i);
        }
        Case tiny = new Case(
                "tiny-mlp",
                OnnxModelBuilder.mlp()
                        .inputDim(16)
                        .width(64)
                        .depth(1)
                        .outputDim(4)
                        .seed(1)
                        .build(),
                "platform: \"onnxruntime_onnx\"\nmax_batch_size: 8\ninput [ { name: \"input\" data_type: TYPE_FP32 dims: [ 16 ] } ]\n"
                        + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 4 ] } ]\n",
                Map.of(),
                Map.of("input", x),
                new long[] {1, 16});
        List<Case> cases = List.of(minilm, tiny);

        Path repo = work.resolve("repo");
        for (Case c : cases) {
            write(repo, c.name(), c);
            for (int i = 0; i < colds; i++) {
                write(repo, c.name() + "-cold" + i, c);
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        NodeConfig config = new NodeConfig(
                repo.toString(),
                "127.0.0.1",
                0,
                0,
                List.of(new DeviceSpec("cpu0", DeviceKind.CPU, 0, 4L << 30, inferThreads)),
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
                Optional.empty());
        // Full latency histograms for the measured models: their queue and compute times per model.
        config = config.withServing(config.serving()
                .withModelHistograms(ModelHistograms.parse(
                        String.join(",", cases.stream().map(Case::name).toList()))));
        MeshNode node = await(MeshNode.start(config));
        GrpcClient grpc = GrpcClient.client(node.vertx(), new GrpcClientOptions().setMaxMessageSize(64 << 20));
        GRPCInferenceServiceGrpcClient client = GRPCInferenceServiceGrpcClient.create(
                grpc, SocketAddress.inetSocketAddress(node.grpcPort(), "127.0.0.1"));
        OrtEnvironment env = OrtEnvironment.getEnvironment();

        System.out.printf(
                Locale.ROOT,
                "modelmux bench: %d iterations, %d in flight for throughput, %d cores, %s%n%n",
                iterations,
                concurrency,
                cores,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "%-10s %-12s %10s %10s %12s%n", "model", "path", "p50 us", "p99 us", "req/s");
        List<String> ratios = new ArrayList<>();
        List<String> breakdown = new ArrayList<>();
        for (Case c : cases) {
            ModelInferRequest req = request(c, c.name());
            try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                    OrtSession s = env.createSession(c.model(), o)) {
                Runnable direct = () -> runDirect(env, s, c);
                Runnable mesh = () -> await(client.modelInfer(req));
                for (int i = 0; i < Math.min(500, iterations); i++) {
                    direct.run();
                    mesh.run();
                }
                Histogram hd = latency(direct, iterations);
                Histogram hm = latency(mesh, iterations);
                double td = throughputThreads(direct, concurrency, iterations);
                double tm = throughputAsync(() -> client.modelInfer(req), concurrency, iterations);
                row(c.name(), "in-process", hd, td);
                row(c.name(), "mesh gRPC", hm, tm);
                breakdown.add(serverSide(node.httpPort(), c.name()));
                ratios.add(String.format(
                        Locale.ROOT,
                        "%-10s mesh/in-process: p50 %.2fx (+%.0f us), p99 %.2fx, throughput %.2fx",
                        c.name(),
                        p(hm, 50) / p(hd, 50),
                        p(hm, 50) - p(hd, 50),
                        p(hm, 99) / p(hd, 99),
                        tm / td));
            }
        }
        System.out.println();
        ratios.forEach(System.out::println);
        System.out.println();
        breakdown.forEach(System.out::println);

        System.out.printf(
                Locale.ROOT,
                "%ncold first request (median of %d, ms): unloaded model through the mesh vs in-process create session + first run%n",
                colds);
        for (Case c : cases) {
            double[] direct = new double[colds];
            double[] mesh = new double[colds];
            for (int i = 0; i < colds; i++) {
                long t0 = System.nanoTime();
                try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                        OrtSession s = env.createSession(c.model(), o)) {
                    runDirect(env, s, c);
                }
                direct[i] = (System.nanoTime() - t0) / 1e6;
                ModelInferRequest cold = request(c, c.name() + "-cold" + i);
                long t1 = System.nanoTime();
                await(client.modelInfer(cold));
                mesh[i] = (System.nanoTime() - t1) / 1e6;
            }
            double md = median(direct);
            double mm = median(mesh);
            System.out.printf(
                    Locale.ROOT,
                    "%-10s in-process %8.1f ms   mesh %8.1f ms   ratio %.2fx%n",
                    c.name(),
                    md,
                    mm,
                    mm / md);
        }
        await(grpc.close());
        await(node.close());
    }

    /** Mean server-side times from the node's own Prometheus histograms (all requests so far). */
    private static String serverSide(int httpPort, String model) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-10s server-side means:", model));
        for (String phase : List.of("request", "queue", "compute")) {
            String prefix = "modelmux_inference_" + phase + "_duration_seconds_";
            double sum = metric(r.body(), prefix + "sum{model=\"" + model + "\"");
            double count = metric(r.body(), prefix + "count{model=\"" + model + "\"");
            b.append(String.format(Locale.ROOT, " %s %.0f us", phase, count == 0 ? 0 : sum / count * 1e6));
        }
        return b.toString();
    }

    private static double metric(String text, String prefix) {
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private static void write(Path repo, String name, Case c) throws Exception {
        Path dir = repo.resolve(name);
        Files.createDirectories(dir.resolve("1"));
        Files.writeString(dir.resolve("config.pbtxt"), "name: \"" + name + "\"\n" + c.config());
        Files.write(dir.resolve("1").resolve("model.onnx"), c.model());
    }

    private static ModelInferRequest request(Case c, String model) {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
        for (var e : c.int64().entrySet()) {
            ByteBuffer buf = ByteBuffer.allocate(e.getValue().length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : e.getValue()) {
                buf.putLong(v);
            }
            b.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(e.getKey())
                    .setDatatype("INT64")
                    .addShape(c.shape()[0])
                    .addShape(c.shape()[1]));
            b.addRawInputContents(ByteString.copyFrom(buf.array()));
        }
        for (var e : c.fp32().entrySet()) {
            ByteBuffer buf = ByteBuffer.allocate(e.getValue().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : e.getValue()) {
                buf.putFloat(v);
            }
            b.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(e.getKey())
                    .setDatatype("FP32")
                    .addShape(c.shape()[0])
                    .addShape(c.shape()[1]));
            b.addRawInputContents(ByteString.copyFrom(buf.array()));
        }
        return b.build();
    }

    /** One in-process run as a caller would write it: tensors from Java arrays, run, read outputs, close. */
    private static void runDirect(OrtEnvironment env, OrtSession s, Case c) {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            for (var e : c.int64().entrySet()) {
                in.put(e.getKey(), OnnxTensor.createTensor(env, LongBuffer.wrap(e.getValue()), c.shape()));
            }
            for (var e : c.fp32().entrySet()) {
                in.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()), c.shape()));
            }
            try (OrtSession.Result r = s.run(in)) {
                ((OnnxTensor) r.get(0)).getByteBuffer();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    private static Histogram latency(Runnable r, int n) {
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            r.run();
            h.recordValue(System.nanoTime() - t);
        }
        return h;
    }

    private static double throughputThreads(Runnable r, int threads, int n) throws InterruptedException {
        AtomicInteger left = new AtomicInteger(n);
        CountDownLatch done = new CountDownLatch(threads);
        long t = System.nanoTime();
        for (int i = 0; i < threads; i++) {
            Thread th = new Thread(() -> {
                while (left.getAndDecrement() > 0) {
                    r.run();
                }
                done.countDown();
            });
            th.start();
        }
        done.await();
        return n / ((System.nanoTime() - t) / 1e9);
    }

    private static double throughputAsync(Supplier<Future<?>> call, int inFlight, int n) throws InterruptedException {
        AtomicInteger left = new AtomicInteger(n);
        CountDownLatch done = new CountDownLatch(inFlight);
        long t = System.nanoTime();
        for (int i = 0; i < inFlight; i++) {
            chain(call, left, done);
        }
        done.await();
        return n / ((System.nanoTime() - t) / 1e9);
    }

    private static void chain(Supplier<Future<?>> call, AtomicInteger left, CountDownLatch done) {
        if (left.getAndDecrement() <= 0) {
            done.countDown();
            return;
        }
        call.get().onComplete(ar -> {
            if (ar.failed()) {
                ar.cause().printStackTrace();
            }
            chain(call, left, done);
        });
    }

    private static double p(Histogram h, double q) {
        return h.getValueAtPercentile(q) / 1000.0;
    }

    private static void row(String model, String path, Histogram h, double rps) {
        System.out.printf(Locale.ROOT, "%-10s %-12s %10.0f %10.0f %12.0f%n", model, path, p(h, 50), p(h, 99), rps);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
