package dev.modelmux.charts;

import static dev.modelmux.charts.Manifests.at;
import static dev.modelmux.charts.Manifests.list;
import static dev.modelmux.charts.Manifests.map;
import static dev.modelmux.charts.Manifests.named;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.StringReader;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** {@code helm template} of the chart's TLS values: the Secret mounted, the node keys set, the probes on HTTPS. */
class ChartTlsTest {
    private static final String NAME = "mm-modelmux";
    private static final String DIR = "/etc/modelmux/tls";

    @Test
    void withoutTlsNothingChanges() {
        Manifests m = HelmChart.template(null, Map.of());
        Map<String, Object> c = container(m);

        assertThat(properties(m).stringPropertyNames()).noneMatch(k -> k.startsWith("tls-"));
        assertThat(list(c, "volumeMounts")).noneMatch(v -> "tls".equals(at(v, "name")));
        assertThat(map(c, "readinessProbe", "httpGet")).doesNotContainKey("scheme");
        assertThat(HelmChart.notes(null, Map.of())).contains("http://" + NAME).doesNotContain("https://");
    }

    @Test
    void aTlsSecretIsMountedReadOnlyAndNamedToTheNode() {
        Manifests m = HelmChart.template(null, Map.of("tls.enabled", true, "tls.secretName", "mm-tls"));
        Map<String, Object> c = container(m);
        Properties p = properties(m);

        assertThat(p.getProperty("tls-cert")).isEqualTo(DIR + "/tls.crt");
        assertThat(p.getProperty("tls-key")).isEqualTo(DIR + "/tls.key");
        assertThat(p.getProperty("tls-reload-interval")).isEqualTo("30s");
        assertThat(p).doesNotContainKey("tls-client-ca");
        Map<String, Object> mount = named(c, "name", "tls", "volumeMounts");
        assertThat(mount).containsEntry("mountPath", DIR).containsEntry("readOnly", true);
        // Mounted whole: a subPath mount would never see the kubelet's update of a renewed Secret.
        assertThat(mount).doesNotContainKey("subPath");
        Map<String, Object> volume =
                named(m.get("StatefulSet", NAME), "name", "tls", "spec", "template", "spec", "volumes");
        assertThat(map(volume, "secret")).containsEntry("secretName", "mm-tls");
        // Key and certificates are not in the ConfigMap, only their paths.
        assertThat(at(m.get("ConfigMap", NAME), "data").toString()).doesNotContain("BEGIN");
    }

    @Test
    void probesSwitchToHttps() {
        Manifests m = HelmChart.template(
                null, Map.of("tls.enabled", true, "tls.secretName", "mm-tls", "tls.clientAuth", true));
        Map<String, Object> c = container(m);

        for (String probe : new String[] {"startupProbe", "readinessProbe", "livenessProbe"}) {
            assertThat(map(c, probe, "httpGet"))
                    .as(probe)
                    .containsEntry("scheme", "HTTPS")
                    .containsEntry("port", "http");
        }
        // The probes' paths are the ones a node answers without a client certificate.
        assertThat(at(c, "readinessProbe", "httpGet", "path")).isEqualTo("/v2/health/ready");
        assertThat(at(c, "livenessProbe", "httpGet", "path")).isEqualTo("/v2/health/live");
    }

    @Test
    void clientAuthRequiresCertificatesFromTheSecretsCa() {
        Manifests m = HelmChart.template(
                null,
                Map.of(
                        "tls.enabled",
                        true,
                        "tls.secretName",
                        "mm-tls",
                        "tls.clientAuth",
                        true,
                        "tls.reloadInterval",
                        "10s"));
        Properties p = properties(m);

        assertThat(p.getProperty("tls-client-ca")).isEqualTo(DIR + "/ca.crt");
        assertThat(p.getProperty("tls-reload-interval")).isEqualTo("10s");
    }

    @Test
    void metricsAreScrapedOverHttps() {
        Manifests m = HelmChart.template(HelmChart.values("tls"), Map.of("metrics.podAnnotations", true));

        Map<String, Object> endpoint = (Map<String, Object>)
                list(m.get("ServiceMonitor", NAME), "spec", "endpoints").get(0);
        assertThat(endpoint).containsEntry("scheme", "https");
        assertThat(at(endpoint, "tlsConfig", "ca", "secret", "key")).isEqualTo("ca.crt");
        assertThat(map(m.get("StatefulSet", NAME), "spec", "template", "metadata", "annotations"))
                .containsEntry("prometheus.io/scheme", "https");
        assertThat(HelmChart.notes(HelmChart.values("tls"), Map.of()))
                .contains("https://" + NAME)
                .contains("--cert client.crt");
    }

    @Test
    void tlsValuesThatDoNotFitAreRefusedNamingTheValue() {
        assertFails(Map.of("tls.enabled", true), "tls.enabled needs tls.secretName");
        assertFails(Map.of("tls.clientAuth", true), "tls.clientAuth needs tls.enabled");
        assertFails(Map.of("node.config.tls-cert", "/x"), "node.config.tls-cert is set by the chart");
        assertFails(Map.of("node.config.tls-client-ca", "/x"), "node.config.tls-client-ca is set by the chart");
    }

    private static void assertFails(Map<String, Object> sets, String message) {
        assertThatThrownBy(() -> HelmChart.template(null, sets))
                .as("values %s", sets)
                .hasMessageContaining(message);
    }

    private static Map<String, Object> container(Manifests m) {
        return named(m.get("StatefulSet", NAME), "name", "modelmux", "spec", "template", "spec", "containers");
    }

    private static Properties properties(Manifests m) {
        Properties p = new Properties();
        try {
            p.load(new StringReader((String) at(m.get("ConfigMap", NAME), "data", "modelmux.properties")));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }
}
