package dev.modelmux.node;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;

/**
 * A node in its own JVM, started as {@code modelmux serve} from the test's classpath: what an
 * operator runs, so that signals, exit statuses and native crashes are real. Its output goes to a
 * file; a JVM crash report would land in {@link #crashReports()}.
 */
final class ChildNode implements AutoCloseable {
    private static final Pattern SERVING =
            Pattern.compile("modelmux serving: gRPC localhost:(\\d+), REST http://localhost:(\\d+)");

    private final Process process;
    private final Path log;
    private final Path crashDir;
    final int grpcPort;
    final int httpPort;

    private ChildNode(Process process, Path log, Path crashDir, int grpcPort, int httpPort) {
        this.process = process;
        this.log = log;
        this.crashDir = crashDir;
        this.grpcPort = grpcPort;
        this.httpPort = httpPort;
    }

    /**
     * The arguments of a node that joins the mesh through the member at {@code seedClusterPort} on loopback,
     * with the test cluster secret and admin token and ephemeral ports, then {@code extra}.
     */
    static List<String> meshArgs(
            String nodeId, Path repo, int seedClusterPort, Path dataDir, String devices, String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "--node-id",
                nodeId,
                "--repo",
                repo.toUri().toString(),
                "--host",
                "127.0.0.1",
                "--grpc-port",
                "0",
                "--http-port",
                "0",
                "--cluster-port",
                "0",
                "--peers",
                "127.0.0.1:" + seedClusterPort,
                "--cluster-secret",
                NodeFixture.CLUSTER_SECRET,
                "--admin-token",
                NodeFixture.ADMIN_TOKEN,
                "--data-dir",
                dataDir.toString(),
                "--devices",
                devices));
        args.addAll(List.of(extra));
        return args;
    }

    /** Starts {@code modelmux serve args...} in {@code dir} and waits until it serves. */
    static ChildNode start(Path dir, List<String> args) throws IOException {
        return start(dir, List.of(), args);
    }

    /** As {@link #start(Path, List)}, with extra JVM options. */
    static ChildNode start(Path dir, List<String> jvmOptions, List<String> args) throws IOException {
        return start(dir, List.of(), jvmOptions, args);
    }

    /**
     * As {@link #start(Path, List, List)}, run by {@code wrapper} (a command that ends by exec'ing its
     * arguments, e.g. {@code unshare -rm sh -c '... && exec "$@"' sh}: the process stays the node's).
     */
    static ChildNode start(Path dir, List<String> wrapper, List<String> jvmOptions, List<String> args)
            throws IOException {
        Files.createDirectories(dir);
        Path crashDir = Files.createDirectories(dir.resolve("crash"));
        Path log = dir.resolve("node.log");
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The same module opens the test JVM runs with (Hazelcast needs them).
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-")) {
                cmd.add(a);
            }
        }
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of(
                "-Xmx768m",
                "-XX:ErrorFile=" + crashDir.resolve("hs_err_pid%p.log"),
                "-cp",
                System.getProperty("java.class.path"),
                ModelmuxMain.class.getName(),
                "serve"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        int[] ports = new int[2];
        try {
            Awaitility.await("node process to serve")
                    .atMost(120, TimeUnit.SECONDS)
                    .pollInterval(100, TimeUnit.MILLISECONDS)
                    .until(() -> {
                        if (!p.isAlive()) {
                            throw new IllegalStateException(
                                    "node exited with " + p.exitValue() + " before serving:\n" + tail(log));
                        }
                        Matcher m = SERVING.matcher(Files.readString(log, StandardCharsets.UTF_8));
                        if (m.find()) {
                            ports[0] = Integer.parseInt(m.group(1));
                            ports[1] = Integer.parseInt(m.group(2));
                            return true;
                        }
                        return false;
                    });
        } catch (RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
        return new ChildNode(p, log, crashDir, ports[0], ports[1]);
    }

    long pid() {
        return process.pid();
    }

    /** Sends SIGTERM, as Kubernetes does on a rolling update. */
    void terminate() {
        process.destroy();
    }

    /** Sends SIGKILL ({@code kill -9}: no shutdown hook runs) and waits for the process to go. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("node did not die of SIGKILL within 60 s");
        }
    }

    /** Waits for the process to exit and returns its status. */
    int awaitExit(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError("node did not exit within " + seconds + " s; log tail:\n" + tail(log));
        }
        return process.exitValue();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** JVM crash reports ({@code hs_err_pid*.log}) this node wrote. */
    List<Path> crashReports() throws IOException {
        try (Stream<Path> s = Files.list(crashDir)) {
            return s.filter(f -> f.getFileName().toString().startsWith("hs_err"))
                    .toList();
        }
    }

    String output() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    String tail() {
        return tail(log);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
