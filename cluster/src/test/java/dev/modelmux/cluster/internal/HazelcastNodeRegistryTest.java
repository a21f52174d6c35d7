package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.cluster.NodeRecord;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The departure cleanup removes a record only when the departed member published it. */
class HazelcastNodeRegistryTest {

    private ExecutorService executor;
    private HazelcastMeshCluster member;

    @BeforeEach
    void start() {
        executor = Executors.newCachedThreadPool();
        member = (HazelcastMeshCluster) MeshCluster.join(
                        ClusterConfig.defaults()
                                .withNodeId("n")
                                .withClusterName(
                                        "reg-" + UUID.randomUUID().toString().substring(0, 8)),
                        executor)
                .join();
    }

    @AfterEach
    void stop() {
        member.hazelcast().getLifecycleService().terminate();
        executor.shutdownNow();
    }

    @Test
    void removesOnlyTheRecordTheDepartedMemberPublishedIdempotently() {
        HazelcastNodeRegistry registry = (HazelcastNodeRegistry) member.nodes();
        String self = member.hazelcast().getCluster().getLocalMember().getUuid().toString();
        registry.publish(new NodeRecord("n", "127.0.0.1", 1, List.of(), false, 0))
                .join();

        // The cleanup of an earlier run of "n" (one this member never saw leave before it published).
        assertThat(registry.removeDeparted("n", "earlier-run-of-n").join()).isFalse();
        assertThat(registry.get("n").join()).isPresent();

        assertThat(registry.removeDeparted("n", self).join()).isTrue();
        assertThat(registry.get("n").join()).isEmpty();
        assertThat(registry.removeDeparted("n", self).join()).isFalse();
        assertThat(registry.removeDeparted("absent", self).join()).isFalse();
    }
}
