package dev.modelmux.node;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.node.predlog.JoinLabelsCommand;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** {@code modelmux serve [flags]}: starts one node and runs until stopped (SIGTERM/SIGINT drain it). */
public final class ModelmuxMain {
    private ModelmuxMain() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage();
            return;
        }
        if (args[0].equals("join-labels")) {
            System.exit(JoinLabelsCommand.run(
                    Arrays.asList(args).subList(1, args.length), System.out, System.err, System::currentTimeMillis));
            return;
        }
        if (!args[0].equals("serve")) {
            System.err.println("unknown command '" + args[0] + "'");
            usage();
            System.exit(2);
        }
        NodeConfig config;
        try {
            config = ConfigLoader.load(
                    Arrays.asList(args).subList(1, args.length),
                    System.getenv(),
                    Optional.ofNullable(System.getProperty("modelmux.example.repo")));
        } catch (IllegalArgumentException e) {
            System.err.println("modelmux: " + e.getMessage());
            System.exit(2);
            return;
        }
        // Before the node starts, so that a signal during start-up waits for it instead of shutting
        // the JVM down under a load in progress.
        CompletableFuture<MeshNode> started = new CompletableFuture<>();
        StopSignals.install(() -> started.thenAccept(node -> stopAndExit(node, config)));
        MeshNode node;
        try {
            node = MeshNode.start(config)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get();
        } catch (ExecutionException e) {
            System.err.println("modelmux: could not start: " + e.getCause().getMessage());
            System.exit(1);
            return;
        }
        if (node.adminTokenGenerated()) {
            System.out.println("modelmux: admin token generated and saved in "
                    + config.dataDir().resolve("admin-token") + " (readable by this user only); it is not printed");
        }
        System.out.println("modelmux serving: gRPC localhost:" + node.grpcPort() + ", REST http://localhost:"
                + node.httpPort() + "/v2, metrics http://localhost:" + node.metricsPort() + "/metrics");
        started.complete(node);
        new CountDownLatch(1).await(); // the stop ends the process
    }

    /**
     * Drains, stops gracefully and exits with 0 (1 if the stop failed). The exit runs the JVM's
     * shutdown hooks, ONNX Runtime's among them, so it happens only once no session is in use; if a
     * run outlived the shutdown grace the process halts instead, without the hooks.
     */
    private static void stopAndExit(MeshNode node, NodeConfig config) {
        System.out.println(
                "modelmux: stopping; moving this node's models to other nodes, then finishing in-flight requests");
        int status = 0;
        try {
            node.close()
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(
                            config.drainTimeout().toSeconds()
                                    + config.shutdownGrace().toSeconds()
                                    + DevicePool.DEFAULT_CLOSE_TIMEOUT.toSeconds()
                                    + 30,
                            TimeUnit.SECONDS);
            System.out.println("modelmux: stopped");
        } catch (Exception e) {
            System.err.println("modelmux: unclean stop: " + e);
            status = 1;
        }
        System.out.flush();
        if (!node.runtimeQuiescent()) {
            System.err.println(
                    "modelmux: an inference was still running in ONNX Runtime; exiting without shutdown hooks");
            System.err.flush();
            Runtime.getRuntime().halt(status);
        }
        System.exit(status);
    }

    private static void usage() {
        System.out.println(
                "usage: modelmux serve [--key value ...]\n       modelmux join-labels --out FILE [--data-dir DIR] [--since WHEN] [--include-open]\n\nsettings (flag --key, env MODELMUX_KEY, or key=value in --config FILE):");
        for (Map.Entry<String, String> e : ConfigLoader.KEYS.entrySet()) {
            System.out.printf("  --%-22s %s%n", e.getKey(), e.getValue());
        }
    }
}
