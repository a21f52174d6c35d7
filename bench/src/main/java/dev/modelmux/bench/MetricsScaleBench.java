package dev.modelmux.bench;

import dev.modelmux.repo.OnnxModelBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * {@code /metrics} at scale: a generated repository of N small models, M of them called once each over
 * REST, then S scrapes while a prober calls {@code GET /v2/health/live} back to back. Prints, per
 * configuration, the scrape's bytes and lines, its time to first byte (the render) and to last byte,
 * liveness p50/p99/max during the scrapes, and the node's RSS. Two configurations side by side, each a
 * node process of its own from the built jar: "after" (the defaults) and "before" ({@code
 * --metrics-model-histograms} listing every used model: full latency histograms per model, as every
 * model had before this change; the old per tenant x model histograms are not reproduced, so "before"
 * understates the old scrape).
 */
public final class MetricsScaleBench {
    static final String ADMIN_TOKEN = "bench-admin-token-0123456789";

    private MetricsScaleBench() {}

    record Result(
            String config,
            long bytes,
            long lines,
            double renderMsMedian,
            double scrapeMsMedian,
            double scrapeMsMax,
            double liveP50Ms,
            double liveP99Ms,
            double liveMaxMs,
            long probes,
            double idleLiveP99Ms,
            long rssMb) {}

    public static void main(String[] args) throws Exception {
        int registered = BenchArgs.intArg(args, "--registered", 10_000);
        int used = BenchArgs.intArg(args, "--used", 2_000);
        int scrapes = BenchArgs.intArg(args, "--scrapes", 5);
        String classpath =
                BenchArgs.stringArg(args, "--node-classpath", "mesh-node/target/mesh-node.jar:mesh-node/target/lib/*");
        String only = BenchArgs.stringArg(args, "--only", "both");
        Path work = Files.createTempDirectory("modelmux-metricsbench");
        Path repo = work.resolve("repo");
        List<String> usedNames = generate(repo, registered, used);
        System.out.printf(Locale.ROOT, "repository: %d models (16->4 MLPs, %d used), in %s%n", registered, used, repo);

        List<Result> results = new ArrayList<>();
        if (!only.equals("before")) {
            results.add(run("after (defaults)", classpath, repo, work, usedNames, scrapes, List.of()));
        }
        if (!only.equals("after")) {
            results.add(run(
                    "before (histograms for every used model)",
                    classpath,
                    repo,
                    work,
                    usedNames,
                    scrapes,
                    List.of("--metrics-model-histograms", String.join(",", usedNames))));
        }
        System.out.println();
        System.out.printf(
                Locale.ROOT,
                "| %s | scrape bytes | lines | render (to first byte), median | scrape, median / max | liveness"
                        + " during scrapes p50 / p99 / max (probes) | liveness idle p99 | node RSS |%n",
                "config (" + registered + " registered, " + used + " used)");
        System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (Result r : results) {
            System.out.printf(
                    Locale.ROOT,
                    "| %s | %,d | %,d | %.0f ms | %.0f / %.0f ms | %.1f / %.1f / %.1f ms (%d) | %.1f ms | %d MB |%n",
                    r.config(),
                    r.bytes(),
                    r.lines(),
                    r.renderMsMedian(),
                    r.scrapeMsMedian(),
                    r.scrapeMsMax(),
                    r.liveP50Ms(),
                    r.liveP99Ms(),
                    r.liveMaxMs(),
                    r.probes(),
                    r.idleLiveP99Ms(),
                    r.rssMb());
        }
    }

    /** N model folders sharing one small MLP; returns the M used ones, spread over the repository. */
    static List<String> generate(Path repo, int registered, int used) throws IOException {
        byte[] mlp = OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .depth(1)
                .weightBytes(1024)
                .seed(1)
                .build();
        List<String> out = new ArrayList<>();
        int stride = Math.max(1, registered / Math.max(1, used));
        for (int i = 0; i < registered; i++) {
            String name = String.format(Locale.ROOT, "mlp-%05d", i);
            Path dir = repo.resolve(name);
            Files.createDirectories(dir.resolve("1"));
            Files.writeString(
                    dir.resolve("config.pbtxt"),
                    "name: \"" + name + "\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 8\n"
                            + "input [ { name: \"input\" data_type: TYPE_FP32 dims: [ 16 ] } ]\n"
                            + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 4 ] } ]\n");
            Files.write(dir.resolve("1").resolve("model.onnx"), mlp);
            if (i % stride == 0 && out.size() < used) {
                out.add(name);
            }
        }
        return out;
    }

    static Result run(
            String config, String classpath, Path repo, Path work, List<String> used, int scrapes, List<String> extra)
            throws Exception {
        String id = config.startsWith("after") ? "after" : "before";
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(LocalMesh.JVM_FLAGS.stream()
                .map(f -> f.equals("-Xmx1g") ? "-Xmx4g" : f)
                .toList());
        cmd.addAll(List.of(
                "-cp",
                classpath,
                "dev.modelmux.node.ModelmuxMain",
                "serve",
                "--repo",
                repo.toString(),
                "--host",
                "127.0.0.1",
                "--grpc-port",
                "0",
                "--http-port",
                "0",
                "--cluster-port",
                "0",
                "--admin-token",
                ADMIN_TOKEN,
                "--data-dir",
                work.resolve("data-" + id).toString(),
                "--memory-budget",
                "8GiB",
                "--gpus",
                "none",
                "--poll-interval",
                "1h",
                "--shutdown-grace",
                "2s"));
        cmd.addAll(extra);
        System.out.printf(Locale.ROOT, "%n== %s: starting the node ...%n", config);
        try (NodeProcess node = NodeProcess.start(id, 0, cmd, work.resolve("node-" + id + ".log"))) {
            node.awaitServing(600_000);
            String base = "http://127.0.0.1:" + node.httpPort();
            HttpClient http = HttpClient.newBuilder().build();
            long t0 = System.nanoTime();
            callAll(http, base, used, 8);
            System.out.printf(
                    Locale.ROOT,
                    "called %d models once each (load + infer) in %.1f s%n",
                    used.size(),
                    (System.nanoTime() - t0) / 1e9);

            Histogram idle = probe(http, base, 500);
            Histogram live = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            AtomicBoolean scraping = new AtomicBoolean(true);
            CompletableFuture<Void> prober = CompletableFuture.runAsync(() -> {
                while (scraping.get()) {
                    live.recordValue(liveOnce(http, base));
                }
            });
            List<Double> render = new ArrayList<>();
            List<Double> total = new ArrayList<>();
            long bytes = 0;
            long lines = 0;
            long rss = 0;
            try {
                for (int i = 0; i < scrapes; i++) {
                    long s = System.nanoTime();
                    HttpResponse<InputStream> r = http.send(
                            HttpRequest.newBuilder(URI.create(base + "/metrics"))
                                    .header("authorization", "Bearer " + ADMIN_TOKEN)
                                    .build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    long n = 0;
                    long nl = 0;
                    double firstMs = -1;
                    try (InputStream in = r.body()) {
                        byte[] buf = new byte[1 << 16];
                        int k;
                        while ((k = in.read(buf)) > 0) {
                            if (firstMs < 0) {
                                firstMs = (System.nanoTime() - s) / 1e6;
                            }
                            n += k;
                            for (int j = 0; j < k; j++) {
                                if (buf[j] == '\n') {
                                    nl++;
                                }
                            }
                        }
                    }
                    total.add((System.nanoTime() - s) / 1e6);
                    render.add(firstMs);
                    bytes = n;
                    lines = nl;
                    rss = Math.max(rss, rssMb(node.pid()));
                    if (r.statusCode() != 200) {
                        throw new IllegalStateException("/metrics answered " + r.statusCode());
                    }
                }
            } finally {
                scraping.set(false);
                prober.join();
            }
            return new Result(
                    config,
                    bytes,
                    lines,
                    median(render),
                    median(total),
                    total.stream().mapToDouble(d -> d).max().orElse(0),
                    live.getValueAtPercentile(50) / 1e6,
                    live.getValueAtPercentile(99) / 1e6,
                    live.getMaxValue() / 1e6,
                    live.getTotalCount(),
                    idle.getValueAtPercentile(99) / 1e6,
                    rss);
        }
    }

    /** Calls every model once over REST, {@code inFlight} at a time. */
    static void callAll(HttpClient http, String base, List<String> models, int inFlight) throws Exception {
        String body = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":"
                + "[0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0,1.1,1.2,1.3,1.4,1.5,1.6]}]}";
        for (int i = 0; i < models.size(); i += inFlight) {
            List<CompletableFuture<HttpResponse<String>>> batch = new ArrayList<>();
            for (String m : models.subList(i, Math.min(models.size(), i + inFlight))) {
                batch.add(http.sendAsync(
                        HttpRequest.newBuilder(URI.create(base + "/v2/models/" + m + "/infer"))
                                .header("content-type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> f : batch) {
                HttpResponse<String> r = f.get(120, TimeUnit.SECONDS);
                if (r.statusCode() != 200) {
                    throw new IllegalStateException(r.uri() + " answered " + r.statusCode() + ": " + r.body());
                }
            }
        }
    }

    static Histogram probe(HttpClient http, String base, int n) {
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        for (int i = 0; i < n; i++) {
            h.recordValue(liveOnce(http, base));
        }
        return h;
    }

    /** One liveness probe's latency in ns. */
    static long liveOnce(HttpClient http, String base) {
        long s = System.nanoTime();
        try {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/v2/health/live")).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("liveness answered " + r.statusCode());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return Math.min(System.nanoTime() - s, TimeUnit.SECONDS.toNanos(60));
    }

    static long rssMb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        s.sort(Double::compare);
        return s.isEmpty() ? 0 : s.get(s.size() / 2);
    }
}
