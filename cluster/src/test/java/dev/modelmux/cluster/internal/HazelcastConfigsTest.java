package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.properties.PropertyDefinition;
import com.hazelcast.kubernetes.HazelcastKubernetesDiscoveryStrategyFactory;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class HazelcastConfigsTest {

    private static final ClusterSecret SECRET = ClusterSecret.of("configs-test-secret-3q9ZbVt7LwXe1KpR");

    private final ClusterConfig cluster = ClusterConfig.defaults()
            .withNodeId("n1")
            .withClusterName("mesh")
            .withPort(5801)
            .withPeers(List.of("127.0.0.1:5802", "127.0.0.1:5803"))
            .withFailureDetection(Duration.ofSeconds(2), Duration.ofSeconds(12));

    /** The member config as a node with the test secret builds it. */
    private static Config build(ClusterConfig c) {
        ClusterConfig withSecret = c.withSecret(SECRET);
        return HazelcastConfigs.build(
                withSecret, new EntryTags(ClusterKeys.tagKey(SECRET, c.clusterName()), new Forgeries()));
    }

    @Test
    void joinsOverTcpIpOnlyThroughThePeers() {
        Config config = build(cluster);
        JoinConfig join = config.getNetworkConfig().getJoin();

        assertThat(config.getClusterName()).isEqualTo(ClusterKeys.clusterName(SECRET, "mesh"));
        assertThat(config.getClusterName()).startsWith("mesh-").hasSize("mesh-".length() + 32);
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
        assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
        assertThat(join.getTcpIpConfig().getMembers()).containsExactly("127.0.0.1:5802", "127.0.0.1:5803");
        assertThat(config.getNetworkConfig().getPort()).isEqualTo(5801);
        assertThat(config.getNetworkConfig().isPortAutoIncrement()).isFalse();
    }

    @Test
    void bindsToTheConfiguredInterfaceAndAdvertisesThePublicAddress() {
        Config config = build(cluster.withAdvertiseAddress("203.0.113.7:6000"));

        assertThat(config.getNetworkConfig().getInterfaces().isEnabled()).isTrue();
        assertThat(config.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
        assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("false");
        assertThat(config.getNetworkConfig().getPublicAddress()).isEqualTo("203.0.113.7:6000");

        Config any = build(cluster.withBindHost("0.0.0.0"));
        assertThat(any.getNetworkConfig().getInterfaces().isEnabled()).isFalse();
        assertThat(any.getProperty("hazelcast.socket.bind.any")).isEqualTo("true");
    }

    @Test
    void setsFastFailureDetectionAndKeepsHazelcastQuiet() {
        Config config = build(cluster);

        assertThat(config.getProperty("hazelcast.heartbeat.interval.seconds")).isEqualTo("2");
        assertThat(config.getProperty("hazelcast.max.no.heartbeat.seconds")).isEqualTo("12");
        assertThat(config.getProperty("hazelcast.heartbeat.failuredetector.type"))
                .isEqualTo("phi-accrual");
        assertThat(config.getProperty("hazelcast.merge.first.run.delay.seconds"))
                .isEqualTo("5");
        assertThat(config.getProperty("hazelcast.logging.type")).isEqualTo("slf4j");
        assertThat(config.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
        assertThat(config.getProperty("hazelcast.shutdownhook.enabled")).isEqualTo("false");
        assertThat(config.getMemberAttributeConfig().getAttribute(HazelcastConfigs.NODE_ID_ATTRIBUTE))
                .isEqualTo("n1");
    }

    @Test
    void placementTableHealsSplitBrainByUnion() {
        Config config = build(cluster);

        assertThat(config.getMapConfig(HazelcastConfigs.PLACEMENTS_MAP)
                        .getMergePolicyConfig()
                        .getPolicy())
                .isEqualTo(CopyUnionMergePolicy.class.getName());
        assertThat(config.getMapConfig(HazelcastConfigs.PLACEMENTS_MAP).getBackupCount())
                .isEqualTo(1);
    }

    @Test
    void kubernetesModeUsesServiceDnsInsteadOfTcpIp() {
        Config config = build(ClusterConfig.defaults()
                .withBindHost("0.0.0.0")
                .withPort(5701)
                .withKubernetesServiceDns("mesh-hz.default.svc.cluster.local"));
        JoinConfig join = config.getNetworkConfig().getJoin();

        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperty("service-dns"))
                .isEqualTo("mesh-hz.default.svc.cluster.local");
    }

    @Test
    void kubernetesDnsModeDialsTheMembersPort() {
        Config config = build(ClusterConfig.defaults()
                .withBindHost("0.0.0.0")
                .withPort(5801)
                .withKubernetesServiceDns("mesh-hz.default.svc.cluster.local"));

        assertThat(config.getNetworkConfig().getJoin().getKubernetesConfig().getProperty("service-port"))
                .isEqualTo("5801");
    }

    @Test
    void kubernetesApiModeListsTheServicesEndpoints() {
        Config config = build(ClusterConfig.defaults()
                .withBindHost("0.0.0.0")
                .withPort(5701)
                .withAdvertiseAddress("10.1.2.3")
                .withKubernetesApi(ClusterConfig.KubernetesApi.of("mesh-hz").inNamespace("inference")));
        JoinConfig join = config.getNetworkConfig().getJoin();

        assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
        assertThat(join.getMulticastConfig().isEnabled()).isFalse();
        assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
        assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
        assertThat(join.getKubernetesConfig().getProperties())
                .containsOnly(
                        entry("service-name", "mesh-hz"),
                        entry("namespace", "inference"),
                        entry("service-port", "5701"));
        assertThat(config.getNetworkConfig().getPublicAddress()).isEqualTo("10.1.2.3");
        assertThat(config.getProperty("hazelcast.socket.bind.any")).isEqualTo("true");
    }

    @Test
    void kubernetesApiModeWithoutANamespaceLeavesItToThePod() {
        Config config = build(ClusterConfig.defaults()
                .withBindHost("0.0.0.0")
                .withKubernetesApi(ClusterConfig.KubernetesApi.of("mesh-hz")));

        assertThat(config.getNetworkConfig().getJoin().getKubernetesConfig().getProperties())
                .containsOnly(entry("service-name", "mesh-hz"));
    }

    @Test
    void everyKubernetesPropertyIsOneHazelcastDeclares() {
        Set<String> declared = new HazelcastKubernetesDiscoveryStrategyFactory()
                .getConfigurationProperties().stream()
                        .map(PropertyDefinition::key)
                        .collect(Collectors.toSet());
        Config api = build(ClusterConfig.defaults()
                .withBindHost("0.0.0.0")
                .withPort(5701)
                .withKubernetesApi(ClusterConfig.KubernetesApi.of("mesh-hz").inNamespace("inference")));
        Config dns = build(ClusterConfig.defaults()
                .withBindHost("0.0.0.0")
                .withPort(5701)
                .withKubernetesServiceDns("mesh-hz.default.svc.cluster.local"));

        assertThat(declared)
                .containsAll(api.getNetworkConfig()
                        .getJoin()
                        .getKubernetesConfig()
                        .getProperties()
                        .keySet());
        assertThat(declared)
                .containsAll(dns.getNetworkConfig()
                        .getJoin()
                        .getKubernetesConfig()
                        .getProperties()
                        .keySet());
    }
}
