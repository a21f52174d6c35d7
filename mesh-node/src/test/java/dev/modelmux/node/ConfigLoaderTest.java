package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.features.FeatureStoreConfig;
import dev.modelmux.node.predlog.PredictionLogConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsServeTheExampleRepositoryWithASmallBudget() {
        NodeConfig c = ConfigLoader.load(List.of(), Map.of(), Optional.of("/opt/example"));
        assertThat(c.repository()).isEqualTo("/opt/example");
        assertThat(c.grpcPort()).isEqualTo(8001);
        assertThat(c.httpPort()).isEqualTo(8000);
        assertThat(c.modelControl()).isEqualTo(ControlMode.POLL);
        assertThat(c.devices())
                .singleElement()
                .satisfies(d -> assertThat(d.capacityBytes()).isEqualTo(384L << 20));
        assertThat(c.adminToken()).isEmpty();
    }

    @Test
    void flagsWinOverEnvironmentWhichWinsOverTheFile() throws Exception {
        Path file = tmp.resolve("node.properties");
        Files.writeString(file, "grpc-port = 9001\nhttp-port = 9000\npoll-interval = 2m\nrepo = /from/file\n");
        NodeConfig c = ConfigLoader.load(
                List.of("--config", file.toString(), "--grpc-port=7001"),
                Map.of("MODELMUX_HTTP_PORT", "7000", "MODELMUX_GRPC_PORT", "6001"),
                Optional.empty());
        assertThat(c.grpcPort()).isEqualTo(7001);
        assertThat(c.httpPort()).isEqualTo(7000);
        assertThat(c.pollInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.repository()).isEqualTo("/from/file");
    }

    @Test
    void sizesAcceptBinaryAndDecimalSuffixes() {
        assertThat(ConfigLoader.bytes("k", "1048576")).isEqualTo(1L << 20);
        assertThat(ConfigLoader.bytes("k", "512MiB")).isEqualTo(512L << 20);
        assertThat(ConfigLoader.bytes("k", "1.5GiB")).isEqualTo(3L << 29);
        assertThat(ConfigLoader.bytes("k", "2GB")).isEqualTo(2_000_000_000L);
        assertThat(ConfigLoader.bytes("k", "3TiB")).isEqualTo(3L << 40);
        assertThatThrownBy(() -> ConfigLoader.bytes("memory-budget", "lots")).hasMessageStartingWith("memory-budget:");
    }

    @Test
    void simulatedDevicePool() {
        NodeConfig c = ConfigLoader.load(
                List.of("--repo", "/r", "--devices", "cpu0=1GiB,cpu1=512MiB"), Map.of(), Optional.empty());
        assertThat(c.devices())
                .extracting(d -> d.id() + "=" + d.capacityBytes())
                .containsExactly("cpu0=" + (1L << 30), "cpu1=" + (512L << 20));
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--grpc-port", "http"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("grpc-port:");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--grpc-port", "70000"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("grpc-port:");
        assertThatThrownBy(
                        () -> ConfigLoader.load(List.of("--model-control", "sometimes"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("model-control:");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--admin-token", "short"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("admin-token:");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--poll-interval", "soon"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("poll-interval:");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--devices", "gpu0=1GiB"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("devices:");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--colour", "blue"), Map.of(), Optional.of("/r")))
                .hasMessageContaining("--colour")
                .hasMessageContaining("not a known setting");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--grpc-port"), Map.of(), Optional.of("/r")))
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> ConfigLoader.load(List.of(), Map.of(), Optional.empty()))
                .hasMessageStartingWith("repo:");
    }

    @Test
    void aStoppingNodeDrainsForTheDrainTimeoutFirst() {
        assertThat(ConfigLoader.load(List.of(), Map.of(), Optional.of("/r")).drainTimeout())
                .isEqualTo(Duration.ofSeconds(20));
        assertThat(ConfigLoader.load(List.of("--drain-timeout", "45s"), Map.of(), Optional.of("/r"))
                        .drainTimeout())
                .isEqualTo(Duration.ofSeconds(45));
        assertThat(ConfigLoader.load(List.of(), Map.of("MODELMUX_DRAIN_TIMEOUT", "0"), Optional.of("/r"))
                        .drainTimeout())
                .isZero();
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--drain-timeout", "a while"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("drain-timeout:");
    }

    @Test
    void secretsComeFromFilesAsWell(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path token = dir.resolve("token");
        java.nio.file.Files.writeString(token, "admin-token-from-a-file-0123\n");
        NodeConfig c = ConfigLoader.load(List.of("--admin-token-file", token.toString()), Map.of(), Optional.of("/r"));
        assertThat(c.adminToken()).contains("admin-token-from-a-file-0123");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of("--admin-token-file", token.toString(), "--admin-token", "another-token-0123456789"),
                        Map.of(),
                        Optional.of("/r")))
                .hasMessageStartingWith("admin-token-file:");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of("--cluster-secret-file", dir.resolve("missing").toString()),
                        Map.of(),
                        Optional.of("/r")))
                .hasMessageStartingWith("cluster-secret-file: cannot read");
    }

    @Test
    void tlsNeedsCertificateAndKeyAsReadableFiles() throws Exception {
        Path cert = Files.writeString(tmp.resolve("tls.crt"), "pem");
        Path key = Files.writeString(tmp.resolve("tls.key"), "pem");
        Path ca = Files.writeString(tmp.resolve("ca.crt"), "pem");
        assertThat(ConfigLoader.load(List.of(), Map.of(), Optional.of("/r"))
                        .serving()
                        .tls())
                .isEmpty();

        NodeConfig c = ConfigLoader.load(
                List.of("--tls-cert", cert.toString(), "--tls-key", key.toString()), Map.of(), Optional.of("/r"));
        assertThat(c.serving().tls()).hasValueSatisfying(t -> {
            assertThat(t.cert()).isEqualTo(cert);
            assertThat(t.key()).isEqualTo(key);
            assertThat(t.clientCa()).isEmpty();
            assertThat(t.reloadInterval()).isEqualTo(Duration.ofSeconds(30));
        });
        // The same keys in the environment and the config file.
        Path file = tmp.resolve("node.properties");
        Files.writeString(file, "tls-cert = " + cert + "\ntls-key = " + key + "\ntls-reload-interval = 0\n");
        NodeConfig f = ConfigLoader.load(
                List.of("--config", file.toString()),
                Map.of("MODELMUX_TLS_CLIENT_CA", ca.toString()),
                Optional.of("/r"));
        assertThat(f.serving().tls()).hasValueSatisfying(t -> {
            assertThat(t.clientCa()).contains(ca);
            assertThat(t.mutual()).isTrue();
            assertThat(t.reloadInterval()).isZero();
        });

        assertThatThrownBy(() -> ConfigLoader.load(List.of("--tls-cert", cert.toString()), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("tls-key: required with tls-cert");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--tls-key", key.toString()), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("tls-cert: required with tls-key");
        assertThatThrownBy(
                        () -> ConfigLoader.load(List.of("--tls-client-ca", ca.toString()), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("tls-client-ca: only used with tls-cert and tls-key");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of("--tls-cert", tmp.resolve("missing.crt").toString(), "--tls-key", key.toString()),
                        Map.of(),
                        Optional.of("/r")))
                .hasMessageStartingWith("tls-cert: cannot read");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of("--tls-cert", cert.toString(), "--tls-key", tmp.toString()),
                        Map.of(),
                        Optional.of("/r")))
                .hasMessageStartingWith("tls-key: cannot read");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of(
                                "--tls-cert", cert.toString(),
                                "--tls-key", key.toString(),
                                "--tls-client-ca", tmp.resolve("nope").toString()),
                        Map.of(),
                        Optional.of("/r")))
                .hasMessageStartingWith("tls-client-ca: cannot read");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of(
                                "--tls-cert",
                                cert.toString(),
                                "--tls-key",
                                key.toString(),
                                "--tls-reload-interval",
                                "soon"),
                        Map.of(),
                        Optional.of("/r")))
                .hasMessageStartingWith("tls-reload-interval:");
    }

    @Test
    void modelReadinessIsServableUnlessSetToLoaded() {
        assertThat(ConfigLoader.load(List.of(), Map.of(), Optional.of("/r"))
                        .serving()
                        .readiness())
                .isEqualTo(dev.modelmux.node.catalog.ModelReadiness.SERVABLE);
        assertThat(ConfigLoader.load(List.of("--model-readiness", "loaded"), Map.of(), Optional.of("/r"))
                        .serving()
                        .readiness())
                .isEqualTo(dev.modelmux.node.catalog.ModelReadiness.LOADED);
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--model-readiness", "always"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("model-readiness:");
    }

    @Test
    void featureStoreAndPredictionLogSettings() {
        NodeConfig d = ConfigLoader.load(List.of("--repo", "/r"), Map.of(), Optional.empty());
        assertThat(d.features()).isEqualTo(FeatureStoreConfig.defaults());
        assertThat(d.predictionLog())
                .isEqualTo(new PredictionLogConfig(64L << 20, Duration.ofHours(1), Duration.ofDays(7), 65_536));

        NodeConfig c = ConfigLoader.load(
                List.of(
                        "--repo",
                        "/r",
                        "--features",
                        "/data/features.jsonl",
                        "--feature-store-delay-ms",
                        "250",
                        "--feature-cache-entries",
                        "0",
                        "--prediction-log-segment-bytes",
                        "8MiB",
                        "--prediction-log-segment-age",
                        "10m",
                        "--prediction-log-retention",
                        "30d",
                        "--prediction-log-buffer",
                        "1024"),
                Map.of(),
                Optional.empty());
        assertThat(c.features().file()).contains(Path.of("/data/features.jsonl"));
        assertThat(c.features().lookupDelay()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.features().cacheEntries()).isZero();
        assertThat(c.predictionLog())
                .isEqualTo(new PredictionLogConfig(8L << 20, Duration.ofMinutes(10), Duration.ofDays(30), 1024));
        // Copies keep them.
        assertThat(c.withPorts(0, 0).predictionLog()).isEqualTo(c.predictionLog());
        assertThat(c.withTenants(Path.of("t.yaml")).features()).isEqualTo(c.features());

        assertThatThrownBy(
                        () -> ConfigLoader.load(List.of("--feature-store-delay-ms", "-1"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("feature-store-delay-ms:");
        assertThatThrownBy(
                        () -> ConfigLoader.load(List.of("--prediction-log-buffer", "0"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("prediction-log-buffer:");
        assertThatThrownBy(() ->
                        ConfigLoader.load(List.of("--prediction-log-segment-age", "0s"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("prediction-log-segment-age:");
        assertThatThrownBy(() ->
                        ConfigLoader.load(List.of("--prediction-log-retention", "a week"), Map.of(), Optional.of("/r")))
                .hasMessageStartingWith("prediction-log-retention:");
    }

    @Test
    void unknownKeyInTheFileIsRejected() throws Exception {
        Path file = tmp.resolve("bad.properties");
        Files.writeString(file, "grpc_port = 1\n");
        assertThatThrownBy(() -> ConfigLoader.load(List.of("--config", file.toString()), Map.of(), Optional.of("/r")))
                .hasMessageContaining("grpc_port")
                .hasMessageContaining("not a known setting");
    }

    @Test
    void kubernetesDiscoveryInDnsOrApiMode() {
        String secret = "k8s-test-secret-0123456789-Zr4wQ8tYbN3c";
        NodeConfig dns = ConfigLoader.load(
                List.of("--repo", "/r", "--cluster-bind", "0.0.0.0"),
                Map.of(
                        "MODELMUX_KUBERNETES_SERVICE_DNS",
                        "mm-hz.ml.svc.cluster.local",
                        "MODELMUX_CLUSTER_SECRET",
                        secret),
                Optional.empty());
        assertThat(dns.cluster().kubernetesServiceDns()).contains("mm-hz.ml.svc.cluster.local");
        assertThat(dns.cluster().kubernetesApi()).isEmpty();

        NodeConfig api = ConfigLoader.load(
                List.of(
                        "--repo",
                        "/r",
                        "--kubernetes-service-name",
                        "mm-hz",
                        "--kubernetes-namespace",
                        "ml",
                        "--cluster-secret",
                        secret),
                Map.of(),
                Optional.empty());
        assertThat(api.cluster().kubernetesApi()).hasValueSatisfying(k -> {
            assertThat(k.serviceName()).isEqualTo("mm-hz");
            assertThat(k.namespace()).contains("ml");
        });
        assertThat(ConfigLoader.load(
                                List.of(
                                        "--repo",
                                        "/r",
                                        "--kubernetes-service-name",
                                        "mm-hz",
                                        "--cluster-secret",
                                        secret),
                                Map.of(),
                                Optional.empty())
                        .cluster()
                        .kubernetesApi()
                        .orElseThrow()
                        .namespace())
                .isEmpty();

        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of("--repo", "/r", "--kubernetes-service-name", "mm-hz"), Map.of(), Optional.empty()))
                .hasMessageStartingWith("cluster-secret:");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of(
                                "--repo",
                                "/r",
                                "--kubernetes-service-name",
                                "mm-hz",
                                "--kubernetes-service-dns",
                                "mm-hz.ml.svc",
                                "--cluster-secret",
                                secret),
                        Map.of(),
                        Optional.empty()))
                .hasMessageContaining("'kubernetes-service-name'");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of(
                                "--repo",
                                "/r",
                                "--kubernetes-service-name",
                                "mm-hz",
                                "--peers",
                                "10.0.0.2:5701",
                                "--cluster-secret",
                                secret),
                        Map.of(),
                        Optional.empty()))
                .hasMessageContaining("'peers'");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of("--repo", "/r", "--kubernetes-namespace", "ml"), Map.of(), Optional.empty()))
                .hasMessageStartingWith("kubernetes-namespace:");
        assertThatThrownBy(() -> ConfigLoader.load(
                        List.of("--repo", "/r", "--kubernetes-service-name", "MM_HZ", "--cluster-secret", secret),
                        Map.of(),
                        Optional.empty()))
                .hasMessageContaining("'kubernetes-service-name'");
    }
}
