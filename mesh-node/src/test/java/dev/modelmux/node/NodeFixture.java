package dev.modelmux.node;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.catalog.ControlMode;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Starts and stops a real node on ephemeral loopback ports for a test. */
final class NodeFixture implements AutoCloseable {
    static final String ADMIN_TOKEN = "test-admin-token-0123456789";
    /**
     * How long an end-to-end test waits for a condition: only a guard against a hang, never a claim
     * about how fast anything happens (a loaded machine may take long; tests never assert timings).
     */
    static final Duration PATIENCE = Duration.ofMinutes(2);

    final MeshNode node;
    final OipClient client;

    NodeFixture(MeshNode node) {
        this.node = node;
        this.client = new OipClient(node.vertx(), node.grpcPort(), node.httpPort());
    }

    static final String CLUSTER_SECRET = "test-cluster-secret-0123456789-kQ7vX2pLm9";

    /** A node of a mesh: joins through {@code peers} (empty for the first), on ephemeral ports. */
    static NodeFixture startMesh(Path repo, Path dataDir, long budgetBytes, String nodeId, List<String> peers) {
        NodeConfig config = config(repo, dataDir, budgetBytes, ControlMode.POLL)
                .withCluster(ClusterConfig.defaults().withNodeId(nodeId).withPeers(peers), CLUSTER_SECRET);
        return new NodeFixture(await(MeshNode.start(config)));
    }

    static NodeFixture start(Path repo, Path dataDir, long budgetBytes, ControlMode mode) {
        return new NodeFixture(await(MeshNode.start(config(repo, dataDir, budgetBytes, mode))));
    }

    static NodeConfig config(Path repo, Path dataDir, long budgetBytes, ControlMode mode) {
        return new NodeConfig(
                repo.toUri().toString(),
                "127.0.0.1",
                0,
                0,
                List.of(new DeviceSpec("cpu0", DeviceKind.CPU, 0, budgetBytes, 2)),
                Optional.of(ADMIN_TOKEN),
                dataDir,
                mode,
                Duration.ofHours(1),
                NodeConfig.DEFAULT_MAX_MESSAGE_BYTES,
                NodeConfig.DEFAULT_MAX_TENSOR_ELEMENTS,
                1.5,
                2,
                Duration.ofSeconds(10),
                false,
                ClusterConfig.defaults(),
                Optional.empty(),
                Optional.empty());
    }

    void rescan() {
        await(node.rescan());
    }

    static <T> T await(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() {
        client.close();
        await(node.close());
    }
}
