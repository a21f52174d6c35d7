package dev.modelmux.bench;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The chaos run's three {@code modelmux serve} processes, placed by {@link ChaosNet}: started,
 * killed, frozen, stopped and restarted by index, each keeping its addresses, ports and data folder
 * across restarts; plus the admin reads the convergence checks need.
 */
final class ChaosMesh implements AutoCloseable {
    static final String ADMIN_TOKEN = MeshBench.ADMIN_TOKEN;

    private final ChaosNet net;
    private final String classpath;
    private final Path repo;
    private final Path work;
    private final List<String> extraFlags;
    private final int[] grpcPorts = new int[3];
    private final int[] httpPorts = new int[3];
    private final int[] clusterPorts = new int[3];
    private final NodeProcess[] nodes = new NodeProcess[3];
    private final int[] starts = new int[3];
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    ChaosMesh(ChaosNet net, String classpath, Path repo, Path work, List<String> extraFlags) throws IOException {
        this.net = net;
        this.classpath = classpath;
        this.repo = repo;
        this.work = work;
        this.extraFlags = extraFlags;
        if (net.isolated()) {
            for (int i = 0; i < 3; i++) {
                grpcPorts[i] = 8001;
                httpPorts[i] = 8000;
                clusterPorts[i] = 5701;
            }
        } else {
            int[] p = LocalMesh.freePorts(9);
            for (int i = 0; i < 3; i++) {
                grpcPorts[i] = p[i];
                httpPorts[i] = p[3 + i];
                clusterPorts[i] = p[6 + i];
            }
        }
        Files.createDirectories(work.resolve("crash"));
        Runtime.getRuntime().addShutdownHook(new Thread(this::destroyNow, "chaos-nodes-cleanup"));
    }

    Path dataDir(int i) {
        return work.resolve("data-" + i);
    }

    /** Node 0, then 1 and 2 joining it; returns when every node sees three members. */
    void startAll() throws Exception {
        start(0);
        nodes[0].awaitServing(300_000);
        start(1);
        start(2);
        for (int i = 0; i < 3; i++) {
            nodes[i].awaitServing(300_000);
        }
        awaitMembers(3, 300_000);
    }

    /** Starts node i (again): same addresses, ports and data folder; every other node is a peer. */
    void start(int i) throws IOException {
        List<String> cmd = new ArrayList<>(net.exec(i));
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(LocalMesh.JVM_FLAGS);
        cmd.addAll(List.of(
                "-Xmx512m",
                "-XX:ErrorFile=" + work.resolve("crash").resolve("hs_err_pid%p.log"),
                "-cp",
                classpath,
                "dev.modelmux.node.ModelmuxMain",
                "serve",
                "--repo",
                repo.toString(),
                "--host",
                net.isolated() ? "0.0.0.0" : "127.0.0.1",
                "--grpc-port",
                Integer.toString(grpcPorts[i]),
                "--http-port",
                Integer.toString(httpPorts[i]),
                "--cluster-port",
                Integer.toString(clusterPorts[i]),
                "--cluster-bind",
                net.meshAddress(i),
                "--node-id",
                "node-" + i,
                "--cluster-secret",
                MeshBench.CLUSTER_SECRET,
                "--admin-token",
                ADMIN_TOKEN,
                "--data-dir",
                dataDir(i).toString(),
                "--memory-budget",
                "256MiB",
                "--gpus",
                "none",
                "--poll-interval",
                "1h",
                "--drain-timeout",
                "10s",
                "--shutdown-grace",
                "5s"));
        if (net.isolated()) {
            cmd.addAll(List.of("--advertise-address", net.meshAddress(i)));
        }
        List<String> peers = new ArrayList<>();
        for (int j = 0; j < 3; j++) {
            if (j != i) {
                peers.add(net.meshAddress(j) + ":" + clusterPorts[j]);
            }
        }
        cmd.addAll(List.of("--peers", String.join(",", peers)));
        cmd.addAll(extraFlags);
        starts[i]++;
        nodes[i] = NodeProcess.start(
                "node-" + i, clusterPorts[i], cmd, work.resolve("node-" + i + "-" + starts[i] + ".log"));
    }

    NodeProcess node(int i) {
        return nodes[i];
    }

    /** Where the client reaches node i's gRPC port. */
    SocketAddress grpc(int i) {
        return SocketAddress.inetSocketAddress(grpcPorts[i], net.clientAddress(i));
    }

    void awaitServing(int i, long timeoutMs) throws InterruptedException {
        nodes[i].awaitServing(timeoutMs);
    }

    /** Waits until every node last logged {@code n} members. */
    void awaitMembers(int n, long timeoutMs) throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            nodes[i].awaitMembers(n, timeoutMs);
        }
    }

    /** {@code kill -9}. */
    void kill(int i) throws InterruptedException {
        nodes[i].kill();
    }

    /** SIGSTOP (true) or SIGCONT (false). */
    void freeze(int i, boolean stop) throws IOException, InterruptedException {
        new ProcessBuilder("kill", stop ? "-STOP" : "-CONT", Long.toString(nodes[i].pid()))
                .inheritIO()
                .start()
                .waitFor();
    }

    /** SIGTERM, waiting up to 60 s for the node to drain and exit; its exit status, -1 if it had to be killed. */
    int stop(int i) throws InterruptedException {
        return nodes[i].stop(60_000);
    }

    /** JVM crash reports written so far. */
    long crashReports() throws IOException {
        try (Stream<Path> s = Files.list(work.resolve("crash"))) {
            return s.count();
        }
    }

    /** READY copies in node i's placement view ({@code GET /api/v1/cluster}), as {@code model:version@node}. */
    Set<String> placementView(int i) {
        JsonObject c = new JsonObject(get(i, "/api/v1/cluster"));
        Set<String> out = new TreeSet<>();
        for (Object o : c.getJsonArray("models", new JsonArray())) {
            JsonObject m = (JsonObject) o;
            for (Object co : m.getJsonArray("copies", new JsonArray())) {
                JsonObject copy = (JsonObject) co;
                if ("READY".equals(copy.getString("state"))) {
                    out.add(m.getValue("model") + ":" + m.getValue("version") + "@" + copy.getString("node"));
                }
            }
        }
        return out;
    }

    /**
     * What node i really holds READY, as {@code model:version@node-i}: its {@code POST
     * /v2/repository/index} rows that are READY on its own devices.
     */
    Set<String> held(int i) {
        HttpResponse<String> r = send(
                i,
                HttpRequest.newBuilder(uri(i, "/v2/repository/index"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"ready\":true}"))
                        .header("content-type", "application/json")
                        .header("authorization", "Bearer " + ADMIN_TOKEN));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("node-" + i + " index: " + r.statusCode() + " " + r.body());
        }
        Set<String> out = new TreeSet<>();
        for (Object o : new JsonArray(r.body())) {
            JsonObject m = (JsonObject) o;
            // The index is the mesh's: a version held only by peers is READY with reason "ready on node ...".
            if ("READY".equals(m.getString("state"))
                    && !m.getString("reason", "").startsWith("ready on ")) {
                out.add(m.getString("name") + ":" + m.getValue("version") + "@node-" + i);
            }
        }
        return out;
    }

    /** {@code policy_version} of a shared document ({@code /api/v1/tenants} or {@code /api/v1/endpoints}) on node i. */
    long policyVersion(int i, String path) {
        return new JsonObject(get(i, path)).getLong("policy_version", -1L);
    }

    /** An admin {@code PUT} on node i (waiting up to 60 s); returns the {@code policy_version} it answers. */
    long put(int i, String path, String json) {
        HttpResponse<String> r = send(
                i,
                HttpRequest.newBuilder(uri(i, path))
                        .PUT(HttpRequest.BodyPublishers.ofString(json))
                        .timeout(Duration.ofSeconds(60))
                        .header("content-type", "application/json")
                        .header("authorization", "Bearer " + ADMIN_TOKEN));
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("PUT " + path + " on node-" + i + ": " + r.statusCode() + " " + r.body());
        }
        return new JsonObject(r.body()).getLong("policy_version", -1L);
    }

    private String get(int i, String path) {
        HttpResponse<String> r =
                send(i, HttpRequest.newBuilder(uri(i, path)).GET().header("authorization", "Bearer " + ADMIN_TOKEN));
        if (r.statusCode() != 200) {
            throw new IllegalStateException("GET " + path + " on node-" + i + ": " + r.statusCode());
        }
        return r.body();
    }

    private URI uri(int i, String path) {
        return URI.create("http://" + net.clientAddress(i) + ":" + httpPorts[i] + path);
    }

    private HttpResponse<String> send(int i, HttpRequest.Builder b) {
        try {
            HttpRequest req = b.build();
            if (req.timeout().isEmpty()) {
                req = b.timeout(Duration.ofSeconds(15)).build();
            }
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("node-" + i + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void destroyNow() {
        for (NodeProcess n : nodes) {
            if (n != null) {
                try {
                    new ProcessBuilder("kill", "-CONT", Long.toString(n.pid()))
                            .start()
                            .waitFor();
                } catch (IOException | InterruptedException e) {
                    // It is being killed anyway.
                }
                n.destroyNow();
            }
        }
    }

    /** Stops every node (SIGTERM, then kill), unfreezing any that is stopped. */
    @Override
    public void close() {
        for (int i = 0; i < 3; i++) {
            if (nodes[i] != null && nodes[i].alive()) {
                try {
                    freeze(i, false);
                } catch (IOException | InterruptedException e) {
                    // Closing kills it if it stays frozen.
                }
            }
        }
        for (NodeProcess n : nodes) {
            if (n != null) {
                n.close();
            }
        }
    }
}
