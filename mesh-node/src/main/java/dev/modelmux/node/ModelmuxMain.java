package dev.modelmux.node;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** {@code modelmux serve [flags]}: starts one node and runs until stopped (SIGTERM/SIGINT drain it). */
public final class ModelmuxMain {
  private ModelmuxMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
      usage();
      return;
    }
    if (!args[0].equals("serve")) {
      System.err.println("unknown command '" + args[0] + "'");
      usage();
      System.exit(2);
    }
    NodeConfig config;
    try {
      config = ConfigLoader.load(Arrays.asList(args).subList(1, args.length), System.getenv(),
          Optional.ofNullable(System.getProperty("modelmux.example.repo")));
    } catch (IllegalArgumentException e) {
      System.err.println("modelmux: " + e.getMessage());
      System.exit(2);
      return;
    }
    MeshNode node;
    try {
      node = MeshNode.start(config).toCompletionStage().toCompletableFuture().get();
    } catch (java.util.concurrent.ExecutionException e) {
      System.err.println("modelmux: could not start: " + e.getCause().getMessage());
      System.exit(1);
      return;
    }
    if (node.adminTokenGenerated()) {
      System.out.println("admin token (shown once; also in " + config.dataDir().resolve("admin-token") + "): " + node.adminToken());
    }
    System.out.println("modelmux serving: gRPC localhost:" + node.grpcPort() + ", REST http://localhost:" + node.httpPort()
        + "/v2, metrics http://localhost:" + node.httpPort() + "/metrics");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("modelmux: stopping; moving this node's models to other nodes, then finishing in-flight requests");
      try {
        node.close().toCompletionStage().toCompletableFuture()
            .get(config.drainTimeout().toSeconds() + config.shutdownGrace().toSeconds() + 30, TimeUnit.SECONDS);
      } catch (Exception e) {
        System.err.println("modelmux: unclean stop: " + e.getMessage());
      }
      stopped.countDown();
    }, "modelmux-shutdown"));
    stopped.await();
  }

  private static void usage() {
    System.out.println("usage: modelmux serve [--key value ...]\n\nsettings (flag --key, env MODELMUX_KEY, or key=value in --config FILE):");
    for (Map.Entry<String, String> e : ConfigLoader.KEYS.entrySet()) {
      System.out.printf("  --%-22s %s%n", e.getKey(), e.getValue());
    }
  }
}
