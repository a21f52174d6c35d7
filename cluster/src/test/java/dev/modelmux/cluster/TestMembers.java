package dev.modelmux.cluster;

import com.hazelcast.core.HazelcastInstance;
import dev.modelmux.cluster.internal.HazelcastMeshCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real Hazelcast members on loopback, on ephemeral ports and in a cluster of a unique name and
 * secret, so concurrent test runs on one machine never meet. Members join through the addresses of
 * members started before them.
 */
final class TestMembers implements AutoCloseable {

    /**
     * How long a test waits for the cluster to converge: only a guard against a hang, never a claim
     * about how fast it converges (a loaded machine may take long).
     */
    static final Duration PATIENCE = Duration.ofMinutes(2);

    private static final AtomicInteger THREADS = new AtomicInteger();

    final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "cluster-io-" + THREADS.incrementAndGet());
        t.setDaemon(true);
        return t;
    });
    private final String clusterName = "test-" + UUID.randomUUID().toString().substring(0, 8);
    final ClusterSecret secret = ClusterSecret.random();
    private final List<MeshCluster> started = new CopyOnWriteArrayList<>();

    ClusterConfig config(String nodeId) {
        return ClusterConfig.defaults()
                .withNodeId(nodeId)
                .withClusterName(clusterName)
                .withSecret(secret)
                .withFailureDetection(Duration.ofSeconds(1), Duration.ofSeconds(5));
    }

    /** Starts a member that joins through {@code via} (none: a new cluster). */
    MeshCluster start(String nodeId, MeshCluster... via) {
        List<String> peers = new ArrayList<>();
        Arrays.stream(via).map(TestMembers::address).forEach(peers::add);
        MeshCluster member =
                MeshCluster.join(config(nodeId).withPeers(peers), executor).join();
        started.add(member);
        return member;
    }

    static HazelcastInstance hazelcast(MeshCluster member) {
        return ((HazelcastMeshCluster) member).hazelcast();
    }

    static String address(MeshCluster member) {
        return "127.0.0.1:"
                + hazelcast(member).getCluster().getLocalMember().getAddress().getPort();
    }

    /** Kills a member without leaving: no goodbye, its partitions are lost to it at once. */
    static void terminate(MeshCluster member) {
        hazelcast(member).getLifecycleService().terminate();
    }

    @Override
    public void close() throws InterruptedException {
        // Teardown does not need a graceful leave; terminating is fast and stops everything.
        for (MeshCluster m : started) {
            terminate(m);
        }
        started.clear();
        executor.shutdownNow();
        executor.awaitTermination(10, TimeUnit.SECONDS);
    }
}
