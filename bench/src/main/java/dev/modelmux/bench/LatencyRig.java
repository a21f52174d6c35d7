package dev.modelmux.bench;

import ai.onnxruntime.OrtEnvironment;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every phase of {@code bench/latency} runs against: the node as its own process (the built jar,
 * {@code serve}, a one-member mesh on the CPU, a generated repository of the bench's models), the
 * wire-floor server as its own process, the clients as their own processes, and the in-process
 * compute floor in this JVM. Started by {@link #start}, stopped by {@link #close}.
 */
final class LatencyRig implements AutoCloseable {
    static final String ADMIN_TOKEN = "bench-admin-token-0123456789";

    final Path work;
    final List<BenchModel> models;
    final Map<String, Path> requests = new LinkedHashMap<>();
    final Map<String, InProcessCompute> inProcess = new LinkedHashMap<>();
    private final Map<String, Integer> responseBytes = new LinkedHashMap<>();
    /** The clients by name ("java", "grpc-js"), each its own process. */
    final Map<String, ChildProcess> clients = new LinkedHashMap<>();

    private final String benchClasspath;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    NodeProcess node;
    /** Each call's gRPC deadline (0: none); the node arms a run deadline for calls that carry one. */
    long deadlineMs = 10_000;

    private int wirePort;

    private LatencyRig(Path work, List<BenchModel> models, String benchClasspath) {
        this.work = work;
        this.models = models;
        this.benchClasspath = benchClasspath;
    }

    /**
     * Writes the repository and the requests, starts the node (with {@code nodeJvmFlags} added to
     * ./modelmux's), checks each model's answer against in-process ONNX Runtime and saves it for the
     * wire floor, starts the wire floor and the clients ({@code jsClient}: the grpc-js script, or null).
     */
    static LatencyRig start(
            Path work,
            List<BenchModel> models,
            String nodeClasspath,
            String benchClasspath,
            String jsClient,
            List<String> nodeArgs,
            List<String> nodeJvmFlags,
            int intraOpThreads)
            throws Exception {
        LatencyRig rig = new LatencyRig(work, models, benchClasspath);
        try {
            rig.startAll(nodeClasspath, jsClient, nodeArgs, nodeJvmFlags, intraOpThreads);
            return rig;
        } catch (Exception | Error e) {
            rig.close();
            throw e;
        }
    }

    private void startAll(
            String nodeClasspath, String jsClient, List<String> nodeArgs, List<String> nodeJvmFlags, int intraOp)
            throws Exception {
        Path repo = work.resolve("repo");
        Path canned = work.resolve("canned");
        Files.createDirectories(canned);
        Files.createDirectories(work.resolve("requests"));
        List<String> names = new ArrayList<>();
        for (BenchModel m : models) {
            m.writeTo(repo);
            Path req = work.resolve("requests").resolve(m.name() + ".bin");
            Files.write(req, m.request().toByteArray());
            requests.put(m.name(), req);
            names.add(m.name());
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBin());
        cmd.addAll(LocalMesh.JVM_FLAGS);
        cmd.addAll(nodeJvmFlags);
        cmd.addAll(List.of("-cp", nodeClasspath, "dev.modelmux.node.ModelmuxMain", "serve"));
        cmd.addAll(List.of("--repo", repo.toString(), "--host", "127.0.0.1", "--grpc-port", "0", "--http-port", "0"));
        cmd.addAll(List.of("--cluster-port", "0", "--node-id", "latency-node", "--admin-token", ADMIN_TOKEN));
        cmd.addAll(List.of("--data-dir", work.resolve("data").toString(), "--memory-budget", "2GiB", "--gpus", "none"));
        cmd.addAll(List.of("--poll-interval", "1h", "--shutdown-grace", "2s", "--drain-timeout", "0"));
        cmd.addAll(List.of("--metrics-model-histograms", String.join(",", names)));
        cmd.addAll(List.of("--intra-op-threads", Integer.toString(intraOp)));
        cmd.addAll(nodeArgs);
        node = NodeProcess.start("node", 0, cmd, work.resolve("node.log"));
        open.add(node);
        node.awaitServing(120_000);

        OrtEnvironment env = InProcessCompute.environment(intraOp);
        try (MeshClient mesh = new MeshClient()) {
            for (BenchModel m : models) {
                InProcessCompute c = InProcessCompute.open(env, m);
                inProcess.put(m.name(), c);
                open.add(c);
                ModelInferResponse r = mesh.ok(
                        node.grpcPort(), ModelInferRequest.parseFrom(Files.readAllBytes(requests.get(m.name()))));
                double err = BenchModel.maxRelativeError(c.reference(), BenchModel.outputs(r));
                if (err > 1e-3) {
                    throw new IllegalStateException(
                            m.name() + ": the node's answer differs from in-process ONNX Runtime by " + err);
                }
                Files.write(canned.resolve(m.name() + ".bin"), r.toByteArray());
                responseBytes.put(m.name(), r.getSerializedSize());
            }
        }
        ChildProcess wire = ChildProcess.start(
                "wire-floor",
                javaCommand("dev.modelmux.bench.WireFloorServer", canned.toString()),
                work.resolve("wire.log"));
        open.add(wire);
        String line = wire.awaitLine("wire floor serving on port ", 60_000);
        wirePort = Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1).trim());

        clients.put("java", startJavaClient("java-client"));
        if (jsClient != null) {
            ChildProcess js = ChildProcess.start("grpc-js", List.of("node", jsClient), work.resolve("grpc-js.log"));
            open.add(js);
            clients.put("grpc-js", js);
        }
    }

    /** A named span of the run (a tail measurement), for the JFR report to look at GC pauses in. */
    record Span(String name, Instant start, Instant end) {}

    final List<Span> spans = new ArrayList<>();

    void mark(String name, Instant start, Instant end) {
        spans.add(new Span(name, start, end));
    }

    /** Another Java client process (a victim, a flooder). */
    ChildProcess startJavaClient(String name) throws IOException {
        ChildProcess c =
                ChildProcess.start(name, javaCommand("dev.modelmux.bench.LoadClient"), work.resolve(name + ".log"));
        open.add(c);
        return c;
    }

    /** The size in bytes of the node's serialized answer for {@code model}. */
    int responseBytes(String model) {
        return responseBytes.get(model);
    }

    String nodeTarget() {
        return "127.0.0.1:" + node.grpcPort();
    }

    String wireTarget() {
        return "127.0.0.1:" + wirePort;
    }

    /** A closed-loop command: {@code n} calls, {@code inFlight} at a time. */
    JsonObject closed(String target, String model, int n, int inFlight) {
        return command(target, model).put("mode", "closed").put("n", n).put("inflight", inFlight);
    }

    /** A closed-loop command running for {@code seconds}. */
    JsonObject closedFor(String target, String model, double seconds, int inFlight) {
        return command(target, model)
                .put("mode", "closed")
                .put("seconds", seconds)
                .put("inflight", inFlight);
    }

    /** An open-loop command: {@code rate} calls/s for {@code seconds}, each timed from when it was due. */
    JsonObject open(String target, String model, double rate, double seconds) {
        return command(target, model).put("mode", "open").put("rate", rate).put("seconds", seconds);
    }

    private JsonObject command(String target, String model) {
        return new JsonObject()
                .put("target", target)
                .put("request", requests.get(model).toString());
    }

    /** The node's {@code modelmux_inference_compute_duration_seconds} histogram for {@code model}, now. */
    NodeHistogram computeMetric(String model) {
        return NodeHistogram.parse(get("/metrics"), "modelmux_inference_compute_duration_seconds", model);
    }

    /** GET on the node's REST port with the admin token; the body. */
    String get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** PUT of a JSON body on the node's REST port with the admin token; the body, or fails on a non-2xx answer. */
    String put(String path, JsonObject body) {
        return send(HttpRequest.newBuilder(uri(path))
                .PUT(HttpRequest.BodyPublishers.ofString(body.encode()))
                .header("content-type", "application/json"));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + node.httpPort() + path);
    }

    private String send(HttpRequest.Builder b) {
        try {
            HttpResponse<String> r = http.send(
                    b.timeout(Duration.ofSeconds(30))
                            .header("authorization", "Bearer " + ADMIN_TOKEN)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(
                        r.request().method() + " " + r.uri().getPath() + ": " + r.statusCode() + " " + r.body());
            }
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private List<String> javaCommand(String main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                javaBin(),
                "--add-opens",
                "java.base/java.lang=ALL-UNNAMED",
                "--add-opens",
                "java.base/sun.nio.ch=ALL-UNNAMED",
                "-Xmx512m",
                "-Dlogback.configurationFile=" + System.getProperty("logback.configurationFile", ""),
                "-cp",
                benchClasspath,
                main));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Stops everything started, the node last but one (its JFR recording, if any, is written as it exits). */
    @Override
    public void close() {
        for (int i = open.size() - 1; i >= 0; i--) {
            try {
                open.get(i).close();
            } catch (Exception e) {
                // Best effort at the end of a run.
            }
        }
        open.clear();
    }
}
