package dev.modelmux.admin.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admin.TenantDirectory;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantPolicyLoader;
import dev.modelmux.admission.tenant.TenantStats;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tenants routes over a fake directory: views, versioned writes, conflicts and refusals. */
class TenantRoutesTest {
    private static final String KEY = TenantPolicy.sha256Hex("key-acme-0123456789");
    private static final String OTHER_KEY = TenantPolicy.sha256Hex("key-beta-0123456789");

    private final FakeMesh mesh = new FakeMesh();
    private AdminServer server;

    @BeforeEach
    void start() {
        server = AdminServer.api(mesh);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String tenant(String id, String key, String extra) {
        return "{\"id\": \"" + id + "\", \"key_sha256\": [\"" + key + "\"], \"models\": [\"m\"]"
                + (extra.isEmpty() ? "" : ", " + extra) + "}";
    }

    @Test
    void theOpenDefaultIsShownAndCannotBeDeleted() {
        AdminServer.Reply r = server.admin("GET", "/api/v1/tenants", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("etag")).isEqualTo("\"0\"");
        assertThat(r.header("cache-control")).isEqualTo("no-store");
        JsonObject v = r.json();
        assertThat(v.getLong("policy_version")).isZero();
        assertThat(v.getString("source")).isEqualTo("default");
        assertThat(v.getInteger("nodes")).isEqualTo(1);
        assertThat(v.getJsonArray("tenants").getJsonObject(0).getString("id")).isEqualTo("default");

        AdminServer.Reply refused = server.admin("DELETE", "/api/v1/tenants/default", null);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.error()).contains("open default");
        assertThat(mesh.calls).isEmpty();
    }

    @Test
    void aTenantIsCreatedReplacedShownAndDeletedWithItsVersionAsTheETag() {
        mesh.nodes = 2;
        AdminServer.Reply created = server.admin(
                "PUT", "/api/v1/tenants/acme", tenant("acme", KEY, "\"rate\": 10, \"burst\": 5"), "If-Match", "0");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(created.header("etag")).isEqualTo("\"1\"");
        JsonObject acme = created.json().getJsonObject("tenant");
        assertThat(acme.getString("id")).isEqualTo("acme");
        assertThat(acme.getInteger("keys")).isEqualTo(1);
        assertThat(acme.getDouble("rate_per_node")).isEqualTo(5.0);
        assertThat(acme.getLong("burst_per_node")).isEqualTo(2);
        assertThat(created.body()).doesNotContain(KEY);
        assertThat(mesh.calls).containsExactly("change api: PUT /api/v1/tenants/acme");

        // The id may be left out of the body; a second PUT replaces (200).
        AdminServer.Reply replaced = server.admin(
                "PUT", "/api/v1/tenants/acme", "{\"key_sha256\": [\"" + KEY + "\"], \"priority\": \"CRITICAL\"}");
        assertThat(replaced.status()).as(replaced.body()).isEqualTo(200);
        assertThat(replaced.json().getLong("policy_version")).isEqualTo(2);
        assertThat(replaced.json().getJsonObject("tenant").getString("priority"))
                .isEqualTo("CRITICAL");

        mesh.stats.put("acme", new TenantStats("acme", 7, 1, Map.of(TenantStats.Reason.RATE, 3L)));
        mesh.usage.put(
                "acme", new TenantDirectory.TenantUsage(1.23456, Double.NaN, 0.5, Map.of("shed", 2L, "timeout", 1L)));
        AdminServer.Reply one = server.admin("GET", "/api/v1/tenants/acme", null);
        assertThat(one.header("etag")).isEqualTo("\"2\"");
        assertThat(one.json().getJsonObject("tenant").getJsonObject("usage").encode())
                .isEqualTo("{\"admitted\":7,\"in_flight\":1,\"rejected\":{\"model_not_allowed\":0,\"rate\":3,"
                        + "\"in_flight\":0,\"request_bytes\":0,\"shed\":2,\"timeout\":1},\"p50_ms\":1.235,"
                        + "\"queue_wait_p99_ms\":0.5}");
        assertThat(one.json().getString("source")).isEqualTo("api");

        AdminServer.Reply deleted = server.admin("DELETE", "/api/v1/tenants/acme", null, "If-Match", "W/\"2\"");
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json())
                .isEqualTo(new JsonObject().put("policy_version", 3).put("deleted", "acme"));
        assertThat(deleted.header("etag")).isEqualTo("\"3\"");
        assertThat(server.admin("GET", "/api/v1/tenants/acme", null).status()).isEqualTo(404);
        assertThat(server.admin("DELETE", "/api/v1/tenants/acme", null).error())
                .isEqualTo("no tenant 'acme' in the tenant policy");
    }

    @Test
    void aStaleIfMatchIsAConflictNamingTheVersionInForce() {
        assertThat(server.admin("PUT", "/api/v1/tenants/acme", tenant("acme", KEY, ""))
                        .status())
                .isEqualTo(201);
        AdminServer.Reply stale =
                server.admin("PUT", "/api/v1/tenants/beta", tenant("beta", OTHER_KEY, ""), "If-Match", "0");
        assertThat(stale.status()).isEqualTo(409);
        assertThat(stale.json().getLong("policy_version")).isEqualTo(1);
        assertThat(stale.header("etag")).isEqualTo("\"1\"");
        assertThat(stale.error()).contains("version 1");
        assertThat(server.admin("DELETE", "/api/v1/tenants/acme", null, "If-Match", "7")
                        .status())
                .isEqualTo(409);
    }

    @Test
    void theWholePolicyIsReplacedFromYaml() {
        String yaml =
                "tenants:\n  - id: a\n    key_sha256: [" + KEY + "]\n  - id: b\n    key_sha256: [" + OTHER_KEY + "]\n";
        AdminServer.Reply r = server.admin("PUT", "/api/v1/tenants", yaml, "If-Match", "0");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("etag")).isEqualTo("\"1\"");
        assertThat(r.json().getJsonArray("tenants").stream().map(o -> ((JsonObject) o).getString("id")))
                .containsExactly("a", "b");
        assertThat(mesh.calls).containsExactly("change api: PUT /api/v1/tenants");
    }

    @Test
    void badBodiesAreRefusedWholeNamingTheFieldAndWriteNothing() {
        String put = "/api/v1/tenants/acme";
        assertThat(server.admin("PUT", put, tenant("acme", KEY, "\"rate\": -1")).error())
                .startsWith("tenant (id 'acme'): rate must be");
        assertThat(server.admin("PUT", put, tenant("acme", KEY, "\"colour\": \"blue\""))
                        .error())
                .contains("unknown key 'colour'");
        assertThat(server.admin("PUT", put, tenant("other", KEY, "")).error())
                .isEqualTo("tenant: id 'other' in the body differs from 'acme' in the path");
        assertThat(server.admin("PUT", put, "{not json").error()).contains("not valid YAML");
        assertThat(server.admin("PUT", put, "").error())
                .isEqualTo(
                        "request body is empty; send one tenant object (JSON or YAML), as an element of the file's 'tenants' list");
        assertThat(server.admin("PUT", "/api/v1/tenants", " ").error())
                .isEqualTo("request body is empty; send a tenant policy (YAML or JSON, as the --tenants file)");
        assertThat(server.admin("PUT", put, tenant("acme", KEY, ""), "If-Match", "latest")
                        .error())
                .contains("If-Match");
        AdminServer.Reply big = server.admin("PUT", put, "x".repeat(TenantPolicyLoader.MAX_BYTES + 1));
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.error()).contains(TenantPolicyLoader.MAX_BYTES + " bytes");
        assertThat(server.admin("GET", "/api/v1/tenants/" + "\u00e9".repeat(70), null)
                        .error())
                .isEqualTo("no tenant '" + "?".repeat(64) + "...' in tenant policy version 0");
        assertThat(mesh.calls).isEmpty();
        assertThat(mesh.policy.version()).isZero();
    }

    @Test
    void aNodeThatCannotReadTheMeshsPolicyOnlyTakesAWholeOne() {
        server.admin("PUT", "/api/v1/tenants/acme", tenant("acme", KEY, ""));
        mesh.policyUnreadable = true;
        AdminServer.Reply r = server.admin("PUT", "/api/v1/tenants/beta", tenant("beta", OTHER_KEY, ""));
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.error()).contains("replace the whole policy with PUT /api/v1/tenants");
        assertThat(server.admin("PUT", "/api/v1/tenants", "tenants: []").status())
                .isEqualTo(200);
        assertThat(mesh.policy.tenants()).isEqualTo(List.of());
    }
}
