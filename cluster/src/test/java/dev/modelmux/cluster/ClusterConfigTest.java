package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {

    private final ClusterConfig defaults = ClusterConfig.defaults();

    @Test
    void defaultsAreAOneMemberClusterOnLoopback() {
        assertThat(defaults.peers()).isEmpty();
        assertThat(defaults.bindHost()).isEqualTo("127.0.0.1");
        assertThat(defaults.port()).isZero();
        assertThat(defaults.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(defaults.maxNoHeartbeat()).isEqualTo(Duration.ofSeconds(10));
        assertThat(defaults.kubernetesServiceDns()).isEmpty();
        assertThat(defaults.advertiseAddress()).isEmpty();
    }

    @Test
    void acceptsPeersAsHostPortIncludingBracketedIpv6() {
        ClusterConfig c = defaults.withPeers(List.of("10.0.0.2:5701", "node-b.mesh.local:5702", "[::1]:5703"));
        assertThat(c.peers()).containsExactly("10.0.0.2:5701", "node-b.mesh.local:5702", "[::1]:5703");
    }

    @Test
    void advertiseAddressMayOmitThePort() {
        assertThat(defaults.withAdvertiseAddress("203.0.113.7").advertiseAddress())
                .contains("203.0.113.7");
        assertThat(defaults.withAdvertiseAddress("203.0.113.7:6000").advertiseAddress())
                .contains("203.0.113.7:6000");
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> defaults.withNodeId("")).hasMessageContaining("'node-id'");
        assertThatThrownBy(() -> defaults.withNodeId("a/b")).hasMessageContaining("'node-id'");
        assertThatThrownBy(() -> defaults.withClusterName(" ")).hasMessageContaining("'cluster-name'");
        assertThatThrownBy(() -> defaults.withPort(70000)).hasMessageContaining("'cluster-port'");
        assertThatThrownBy(() -> defaults.withBindHost("localhost")).hasMessageContaining("'bind-host'");
        assertThatThrownBy(() -> defaults.withPeers(List.of("10.0.0.2"))).hasMessageContaining("'peers'");
        assertThatThrownBy(() -> defaults.withPeers(List.of("10.0.0.2:0"))).hasMessageContaining("'peers'");
        assertThatThrownBy(() -> defaults.withPeers(List.of(":5701"))).hasMessageContaining("'peers'");
        assertThatThrownBy(() -> defaults.withAdvertiseAddress("a b")).hasMessageContaining("'advertise-address'");
        assertThatThrownBy(() -> defaults.withFailureDetection(Duration.ofMillis(500), Duration.ofSeconds(10)))
                .hasMessageContaining("'heartbeat-interval'");
        assertThatThrownBy(() -> defaults.withFailureDetection(Duration.ofSeconds(5), Duration.ofSeconds(5)))
                .hasMessageContaining("'max-no-heartbeat'");
    }

    @Test
    void kubernetesDiscoveryExcludesPeers() {
        ClusterConfig k8s =
                defaults.withBindHost("0.0.0.0").withKubernetesServiceDns("mesh-hz.default.svc.cluster.local");
        assertThat(k8s.kubernetesServiceDns()).contains("mesh-hz.default.svc.cluster.local");
        assertThatThrownBy(() -> k8s.withPeers(List.of("10.0.0.2:5701"))).hasMessageContaining("'peers'");
        assertThatThrownBy(() -> defaults.withKubernetesServiceDns("bad name"))
                .hasMessageContaining("'kubernetes-service-dns'");
    }

    @Test
    void kubernetesApiDiscoveryNamesAServiceAndOptionallyANamespace() {
        ClusterConfig api = defaults.withBindHost("0.0.0.0")
                .withPort(5701)
                .withKubernetesApi(ClusterConfig.KubernetesApi.of("mesh-hz").inNamespace("inference"));
        assertThat(api.kubernetesApi()).hasValueSatisfying(k -> {
            assertThat(k.serviceName()).isEqualTo("mesh-hz");
            assertThat(k.namespace()).contains("inference");
        });
        assertThat(api.kubernetesServiceDns()).isEmpty();
        assertThat(api.joinsOthers()).isTrue();
        assertThat(ClusterConfig.KubernetesApi.of("mesh-hz").namespace()).isEmpty();
        assertThat(defaults.kubernetesApi()).isEmpty();
        assertThat(defaults.joinsOthers()).isFalse();
        assertThat(defaults.withKubernetesServiceDns("mesh-hz.default.svc").joinsOthers())
                .isTrue();
        assertThat(defaults.withPeers(List.of("10.0.0.2:5701")).joinsOthers()).isTrue();
    }

    @Test
    void kubernetesApiDiscoveryRejectsBadNames() {
        assertThatThrownBy(() -> ClusterConfig.KubernetesApi.of("Mesh_HZ"))
                .hasMessageContaining("'kubernetes-service-name'");
        assertThatThrownBy(() -> ClusterConfig.KubernetesApi.of("1mesh"))
                .hasMessageContaining("'kubernetes-service-name'");
        assertThatThrownBy(() -> ClusterConfig.KubernetesApi.of("m".repeat(64)))
                .hasMessageContaining("'kubernetes-service-name'");
        assertThatThrownBy(() -> ClusterConfig.KubernetesApi.of("mesh-hz").inNamespace("kube system"))
                .hasMessageContaining("'kubernetes-namespace'");
        assertThatThrownBy(() -> ClusterConfig.KubernetesApi.of("mesh-hz").inNamespace("-ns"))
                .hasMessageContaining("'kubernetes-namespace'");
    }

    @Test
    void kubernetesApiDiscoveryExcludesDnsModeAndPeers() {
        ClusterConfig.KubernetesApi api = ClusterConfig.KubernetesApi.of("mesh-hz");
        assertThatThrownBy(() -> defaults.withKubernetesServiceDns("mesh-hz.default.svc.cluster.local")
                        .withKubernetesApi(api))
                .hasMessageContaining("'kubernetes-service-name'")
                .hasMessageContaining("kubernetes-service-dns");
        assertThatThrownBy(() ->
                        defaults.withKubernetesApi(api).withKubernetesServiceDns("mesh-hz.default.svc.cluster.local"))
                .hasMessageContaining("'kubernetes-service-name'");
        assertThatThrownBy(() -> defaults.withKubernetesApi(api).withPeers(List.of("10.0.0.2:5701")))
                .hasMessageContaining("'peers'")
                .hasMessageContaining("kubernetes-service-name");
        assertThatThrownBy(() -> defaults.withPeers(List.of("10.0.0.2:5701")).withKubernetesApi(api))
                .hasMessageContaining("'peers'");
    }
}
