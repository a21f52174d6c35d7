package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.cluster.MeshCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Layer 1: the Hazelcast cluster name is derived from the secret, so a process without the secret
 * cannot become a member or connect as a client. Each attack is made against a running node and
 * shown to fail, and to keep failing past the split-brain merge checks (which look for clusters of
 * the same name every few seconds).
 */
class OutsiderCannotJoinTest {

    /** Two of the split-brain merge checks (first after 5 s, then every 5 s). */
    private static final Duration MERGE_CHECKS = Duration.ofSeconds(
            HazelcastConfigs.MERGE_FIRST_RUN_DELAY_SECONDS + HazelcastConfigs.MERGE_NEXT_RUN_DELAY_SECONDS + 1L);

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<MeshCluster> nodes = new ArrayList<>();
    private final List<HazelcastInstance> outsiders = new ArrayList<>();
    private final ClusterSecret secret = ClusterSecret.random();
    private MeshCluster node;

    @BeforeEach
    void startANode() {
        node = join(ClusterConfig.defaults().withNodeId("a").withSecret(secret));
    }

    @AfterEach
    void stop() {
        outsiders.forEach(h -> h.getLifecycleService().terminate());
        nodes.forEach(MeshCluster::crash);
        executor.shutdownNow();
    }

    @Test
    void aNodeWithAnotherSecretCannotJoin() {
        MeshCluster other = join(ClusterConfig.defaults()
                .withNodeId("b")
                .withSecret(ClusterSecret.random())
                .withPeers(List.of(Outsider.address(node))));

        await().during(MERGE_CHECKS).atMost(MERGE_CHECKS.plusSeconds(10)).untilAsserted(() -> {
            assertThat(node.members()).containsExactly("a");
            assertThat(other.members()).containsExactly("b");
        });
    }

    @Test
    void aBareHazelcastMemberWithTheOldFixedNameCannotJoin() {
        HazelcastInstance outsider = outsider(ClusterConfig.DEFAULT_CLUSTER_NAME);

        await().during(MERGE_CHECKS).atMost(MERGE_CHECKS.plusSeconds(10)).untilAsserted(() -> {
            assertThat(node.members()).containsExactly("a");
            assertThat(hazelcastMembers(node)).isEqualTo(1);
            assertThat(outsider.getCluster().getMembers()).hasSize(1);
        });
    }

    @Test
    void aHazelcastClientWithTheOldFixedNameCannotConnect() {
        ClientConfig client = new ClientConfig().setClusterName(ClusterConfig.DEFAULT_CLUSTER_NAME);
        client.setProperty("hazelcast.logging.type", "slf4j");
        client.getNetworkConfig().addAddress(Outsider.address(node));
        client.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3_000);

        assertThatThrownBy(() -> HazelcastClient.newHazelcastClient(client))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Unable to connect");
        assertThat(((HazelcastMeshCluster) node).hazelcast().getClientService().getConnectedClients())
                .isEmpty();
    }

    @Test
    void aLoneNodeWithoutASecretGetsARandomOneThatNobodyCanJoin() {
        String label = "lone-" + UUID.randomUUID().toString().substring(0, 8);
        MeshCluster lone = join(ClusterConfig.defaults().withNodeId("lone").withClusterName(label));
        MeshCluster joiner = join(ClusterConfig.defaults()
                .withNodeId("joiner")
                .withClusterName(label)
                .withSecret(secret)
                .withPeers(List.of(Outsider.address(lone))));

        await().during(MERGE_CHECKS).atMost(MERGE_CHECKS.plusSeconds(10)).untilAsserted(() -> {
            assertThat(lone.members()).containsExactly("lone");
            assertThat(joiner.members()).containsExactly("joiner");
        });
    }

    @Test
    void joiningOthersWithoutASecretIsRefusedAndNamesTheKey() {
        assertThatThrownBy(() -> MeshCluster.join(
                                ClusterConfig.defaults().withNodeId("b").withPeers(List.of(Outsider.address(node))),
                                executor)
                        .join())
                .isInstanceOf(CompletionException.class)
                .hasRootCauseInstanceOf(IllegalArgumentException.class)
                .rootCause()
                .hasMessageStartingWith("cluster-secret:");
    }

    private MeshCluster join(ClusterConfig config) {
        MeshCluster m = MeshCluster.join(config, executor).join();
        nodes.add(m);
        return m;
    }

    private HazelcastInstance outsider(String clusterName) {
        HazelcastInstance h = Outsider.member(clusterName, node, false);
        outsiders.add(h);
        return h;
    }

    private static int hazelcastMembers(MeshCluster m) {
        return ((HazelcastMeshCluster) m).hazelcast().getCluster().getMembers().size();
    }
}
