package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.catalog.ControlMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} names every model and tenant: with tenants configured, a caller of the data path
 * (with or without a tenant key) cannot scrape it from the REST port; Prometheus presents a metrics
 * token, or scrapes a port of its own.
 */
class MetricsAccessTest {
    private static final String TENANT_KEY = "tenant-key-0123456789";
    private static final String METRICS_TOKEN = "metrics-token-0123456789";

    @TempDir
    static Path tmp;

    static Path repo;
    static Path tenants;
    static HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void repository() throws Exception {
        repo = tmp.resolve("repo");
        new TestRepo(repo).mlp("m", 1, 16, 4, 20_000, 1);
        tenants = tmp.resolve("tenants.yaml");
        Files.writeString(
                tenants, "tenants:\n  - id: acme\n    key_sha256: [" + TenantPolicy.sha256Hex(TENANT_KEY) + "]\n");
    }

    @Test
    void withTenantsTheRestPortsMetricsNeedTheAdminToken() throws Exception {
        try (NodeFixture f = start("a", Optional.empty(), OptionalInt.empty())) {
            int port = f.node.httpPort();
            assertThat(f.node.metricsPort()).isEqualTo(port);
            HttpResponse<String> anonymous = scrape(port, null);
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.body()).contains("metrics-token").doesNotContain("acme");
            assertThat(scrape(port, TENANT_KEY).statusCode()).isEqualTo(401);
            HttpResponse<String> admin = scrape(port, NodeFixture.ADMIN_TOKEN);
            assertThat(admin.statusCode()).isEqualTo(200);
            assertThat(admin.body()).contains("modelmux_");
        }
    }

    @Test
    void aMetricsTokenLetsPrometheusInAndNoOneElse() throws Exception {
        try (NodeFixture f = start("b", Optional.of(METRICS_TOKEN), OptionalInt.empty())) {
            int port = f.node.httpPort();
            assertThat(scrape(port, null).statusCode()).isEqualTo(401);
            assertThat(scrape(port, TENANT_KEY).statusCode()).isEqualTo(401);
            assertThat(scrape(port, "wrong-token-0123456789").body()).contains("metrics token is not valid");
            assertThat(scrape(port, METRICS_TOKEN).statusCode()).isEqualTo(200);
            assertThat(scrape(port, NodeFixture.ADMIN_TOKEN).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aPortOfItsOwnServesMetricsAndTheRestPortNoLonger() throws Exception {
        try (NodeFixture f = start("c", Optional.empty(), OptionalInt.of(0))) {
            assertThat(f.node.metricsPort()).isNotEqualTo(f.node.httpPort());
            HttpResponse<String> own = scrape(f.node.metricsPort(), null);
            assertThat(own.statusCode()).isEqualTo(200);
            assertThat(own.body()).contains("modelmux_");
            assertThat(scrape(f.node.httpPort(), NodeFixture.ADMIN_TOKEN).statusCode())
                    .isEqualTo(404);
            assertThat(get(f.node.metricsPort(), "/v2/health/live", null).statusCode())
                    .as("the metrics port serves nothing else")
                    .isEqualTo(404);
        }
    }

    private static NodeFixture start(String name, Optional<String> token, OptionalInt port) {
        NodeConfig config = NodeFixture.config(repo, tmp.resolve(name), 256L << 20, ControlMode.POLL)
                .withTenants(tenants);
        config = config.withServing(config.serving().withMetrics(token, port));
        return new NodeFixture(NodeFixture.await(MeshNode.start(config)));
    }

    private static HttpResponse<String> scrape(int port, String bearer) throws Exception {
        return get(port, "/metrics", bearer);
    }

    private static HttpResponse<String> get(int port, String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (bearer != null) {
            b.header("authorization", "Bearer " + bearer);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }
}
