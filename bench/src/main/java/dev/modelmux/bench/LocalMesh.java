package dev.modelmux.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts the three {@code modelmux serve} processes of the mesh bench on loopback. */
final class LocalMesh {
    /** The flags ./modelmux starts a node with (Hazelcast and Vert.x need these opens). */
    static final List<String> JVM_FLAGS = List.of(
            "--add-modules",
            "java.se",
            "--add-exports",
            "java.base/jdk.internal.ref=ALL-UNNAMED",
            "--add-opens",
            "java.base/java.lang=ALL-UNNAMED",
            "--add-opens",
            "java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-opens",
            "java.management/sun.management=ALL-UNNAMED",
            "--add-opens",
            "jdk.management/com.sun.management.internal=ALL-UNNAMED",
            "-Xmx1g");

    private LocalMesh() {}

    /**
     * Node 0 first (a one-member cluster), then nodes 1 and 2 joining through it; each node gets 512 MiB,
     * ephemeral gRPC and HTTP ports and its own data folder. Returns once every node logged three members.
     */
    static void start(List<NodeProcess> nodes, String classpath, Path repo, Path work) throws Exception {
        int[] clusterPorts = freePorts(3);
        for (int i = 0; i < 3; i++) {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(JVM_FLAGS);
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
                    Integer.toString(clusterPorts[i]),
                    "--node-id",
                    "node-" + i,
                    "--cluster-secret",
                    MeshBench.CLUSTER_SECRET,
                    "--admin-token",
                    MeshBench.ADMIN_TOKEN,
                    "--data-dir",
                    work.resolve("data-" + i).toString(),
                    "--memory-budget",
                    "512MiB",
                    "--gpus",
                    "none",
                    "--poll-interval",
                    "1h",
                    "--shutdown-grace",
                    "2s"));
            if (i > 0) {
                cmd.addAll(List.of("--peers", "127.0.0.1:" + clusterPorts[0]));
            }
            nodes.add(NodeProcess.start("node-" + i, clusterPorts[i], cmd, work.resolve("node-" + i + ".log")));
            if (i == 0) {
                nodes.get(0).awaitServing(90_000);
            }
        }
        for (NodeProcess n : nodes) {
            n.awaitServing(90_000);
        }
        for (NodeProcess n : nodes) {
            n.awaitMembers(3, 60_000);
        }
        // Each node re-reads the other nodes' records every second; routing needs them.
        Thread.sleep(2_500);
    }

    /** {@code n} loopback ports free a moment ago (each bound once, then released). */
    static int[] freePorts(int n) throws IOException {
        List<ServerSocket> open = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                open.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket s : open) {
                s.close();
            }
        }
    }
}
