package dev.modelmux.node;

import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantPolicyLoader;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tenants admin API on a real mesh: a write on one node is enforced on the others, through
 * the shared policy document; admin auth, validation and optimistic concurrency on every route.
 */
class TenantsAdminTest {
    /**
     * How long a policy change may take to reach another node here. It arrives within
     * milliseconds; the ceiling is wide so a loaded machine does not flake, and below the nodes'
     * 10 s re-read, so it is the listener that delivers it.
     */
    private static final Duration PROPAGATION = Duration.ofSeconds(3);

    private static final String ACME_KEY = "key-acme-0123456789";
    private static final String BETA_KEY = "key-beta-0123456789";
    private static final String BODY =
            "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":"
                    + Arrays.toString(ramp(16, 1f)) + "}]}";

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aWriteOnOneNodeIsEnforcedOnTheOtherAndAdminCallsAreGuarded() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 50_000, 1);
        NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 64L << 20, "node-a", List.of());
        NodeFixture b = null;
        try {
            b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), 64L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(Duration.ofSeconds(30)).until(() -> nodes(a) == 2 && nodes(bb) == 2);

            // No policy yet: the open default tenant, and calls need no key (this also loads m on b).
            JsonObject open = json(send(a, "GET", "/api/v1/tenants", null, admin()));
            assertThat(open.getLong("policy_version")).isZero();
            assertThat(open.getString("source")).isEqualTo("default");
            assertThat(ids(open)).containsExactly("default");
            assertThat(infer(b, null)).isEqualTo(200);

            authMatrix(a);
            authMatrix(b);
            badBodiesAreRefusedNamingTheField(a);

            // The first write replaces the default: the policy holds exactly the tenant written.
            Reply created = send(
                    a, "PUT", "/api/v1/tenants/acme", tenant("acme", ACME_KEY, "\"rate\": 10"), admin("If-Match", "0"));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            assertThat(json(created).getLong("policy_version")).isEqualTo(1);
            assertThat(json(created).getJsonObject("tenant").getDouble("rate_per_node"))
                    .isEqualTo(5.0);
            // b no longer lets a call without a key through (under the open default any key passed).
            await().atMost(PROPAGATION).until(() -> infer(bb, null) == 401);
            assertThat(infer(b, ACME_KEY)).isEqualTo(200);
            assertThat(infer(b, "not-a-key-of-anyone")).isEqualTo(401);
            // gRPC enforces the same policy.
            var call = Requests.fp32("m", "input", ramp(16, 1f), 1, 16);
            assertThat(b.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, call)
                            .status())
                    .isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(b.client
                            .call(
                                    GRPCInferenceServiceGrpcClient.ModelInfer,
                                    call,
                                    Map.of("authorization", "Bearer " + ACME_KEY))
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            for (NodeFixture f : List.of(a, b)) {
                Reply view = send(f, "GET", "/api/v1/tenants", null, admin());
                JsonObject v = json(view);
                assertThat(v.getLong("policy_version")).isEqualTo(1);
                assertThat(v.getString("source")).isEqualTo("api");
                assertThat(v.getInteger("nodes")).isEqualTo(2);
                assertThat(ids(v)).containsExactly("acme");
                JsonObject acme = v.getJsonArray("tenants").getJsonObject(0);
                assertThat(acme.getInteger("keys")).isEqualTo(1);
                assertThat(acme.getDouble("rate")).isEqualTo(10.0);
                assertThat(acme.getJsonArray("models")).containsExactly("m");
                assertThat(view.body())
                        .doesNotContain(TenantPolicy.sha256Hex(ACME_KEY))
                        .doesNotContain(ACME_KEY);
            }
            // Usage is the node's own: b admitted acme's call, a admitted none.
            assertThat(usage(b, "acme").getLong("admitted")).isPositive();
            assertThat(usage(a, "acme").getLong("admitted")).isZero();

            // A stale If-Match is a conflict naming the current version; the right one writes.
            Reply stale = send(b, "PUT", "/api/v1/tenants/beta", tenant("beta", BETA_KEY, ""), admin("If-Match", "0"));
            assertThat(stale.status()).isEqualTo(409);
            assertThat(json(stale).getLong("policy_version")).isEqualTo(1);
            assertThat(json(stale).getString("error")).contains("version 1");
            assertThat(send(b, "PUT", "/api/v1/tenants/beta", tenant("beta", BETA_KEY, ""), admin("If-Match", "\"1\""))
                            .status())
                    .isEqualTo(201);
            // Replacing without If-Match: re-read and written over whatever is there.
            Reply replaced = send(
                    b, "PUT", "/api/v1/tenants/beta", tenant("beta", BETA_KEY, "\"priority\": \"CRITICAL\""), admin());
            assertThat(replaced.status()).isEqualTo(200);
            assertThat(json(replaced).getLong("policy_version")).isEqualTo(3);
            await().atMost(PROPAGATION).until(() -> policyVersion(a) == 3);
            assertThat(infer(a, BETA_KEY)).isEqualTo(200);
            JsonObject beta = json(send(a, "GET", "/api/v1/tenants/beta", null, admin()));
            assertThat(beta.getLong("policy_version")).isEqualTo(3);
            assertThat(beta.getJsonObject("tenant").getString("priority")).isEqualTo("CRITICAL");
            assertThat(send(a, "GET", "/api/v1/tenants/nobody", null, admin()).status())
                    .isEqualTo(404);

            // Deleting on a: the key stops working on b.
            Reply deleted = send(a, "DELETE", "/api/v1/tenants/acme", null, admin());
            assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
            assertThat(json(deleted).getLong("policy_version")).isEqualTo(4);
            await().atMost(PROPAGATION).until(() -> infer(bb, ACME_KEY) == 401);
            assertThat(infer(b, BETA_KEY)).isEqualTo(200);
            assertThat(send(b, "DELETE", "/api/v1/tenants/acme", null, admin()).status())
                    .isEqualTo(404);
            assertThat(send(b, "DELETE", "/api/v1/tenants/beta", null, admin("If-Match", "3"))
                            .status())
                    .isEqualTo(409);

            // The whole policy at once, as YAML.
            Reply whole = send(
                    b, "PUT", "/api/v1/tenants", "tenants:\n" + tenantYaml("acme", ACME_KEY), admin("If-Match", "4"));
            assertThat(whole.status()).as(whole.body()).isEqualTo(200);
            assertThat(json(whole).getLong("policy_version")).isEqualTo(5);
            assertThat(ids(json(whole))).containsExactly("acme");
            await().atMost(PROPAGATION).until(() -> infer(a, ACME_KEY) == 200 && infer(a, BETA_KEY) == 401);
            Reply last = send(a, "GET", "/api/v1/tenants", null, admin());
            assertThat(json(last).getLong("policy_version")).isEqualTo(5);
            assertThat(last.etag()).isEqualTo("\"5\"");
        } finally {
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    @Test
    void aNodeStartedWithAFilePublishesItAndLaterNodesEnforceTheMeshsCopy() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 50_000, 1);
        Path acmeFile = tmp.resolve("acme.yaml");
        Files.writeString(acmeFile, "tenants:\n" + tenantYaml("acme", ACME_KEY));
        Path betaFile = tmp.resolve("beta.yaml");
        Files.writeString(betaFile, "tenants:\n" + tenantYaml("beta", BETA_KEY));
        List<NodeFixture> started = new ArrayList<>();
        try {
            NodeFixture a = start(repo, "node-a", List.of(), acmeFile);
            started.add(a);
            String via = "127.0.0.1:" + a.node.clusterPort();
            // b has no file: it adopts the mesh's policy. c has another file: the mesh's copy wins.
            NodeFixture b = start(repo, "node-b", List.of(via), null);
            started.add(b);
            NodeFixture c = start(repo, "node-c", List.of(via), betaFile);
            started.add(c);

            for (NodeFixture f : started) {
                JsonObject v = json(send(f, "GET", "/api/v1/tenants", null, admin()));
                assertThat(v.getLong("policy_version")).isEqualTo(1);
                assertThat(v.getString("source")).isEqualTo("file");
                assertThat(ids(v)).containsExactly("acme");
            }
            assertThat(infer(b, null)).isEqualTo(401);
            assertThat(infer(b, ACME_KEY)).isEqualTo(200);
            assertThat(infer(c, ACME_KEY)).isEqualTo(200);
            assertThat(infer(c, BETA_KEY)).isEqualTo(401);
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                started.get(i).close();
            }
        }
    }

    private void authMatrix(NodeFixture f) {
        String wrong = "wrong-admin-token-0123456789";
        String body = tenant("acme", ACME_KEY, "");
        String[][] routes = {
            {"GET", "/api/v1/tenants", null},
            {"PUT", "/api/v1/tenants", "tenants: []"},
            {"GET", "/api/v1/tenants/default", null},
            {"PUT", "/api/v1/tenants/acme", body},
            {"DELETE", "/api/v1/tenants/acme", null}
        };
        for (String[] r : routes) {
            Reply none = send(f, r[0], r[1], r[2]);
            assertThat(none.status()).as(r[0] + " " + r[1] + " without a token").isEqualTo(401);
            Reply bad = send(f, r[0], r[1], r[2], "authorization", "Bearer " + wrong);
            assertThat(bad.status())
                    .as(r[0] + " " + r[1] + " with a wrong token")
                    .isEqualTo(401);
            assertThat(bad.body()).doesNotContain(wrong).contains("admin token");
            Reply notBearer = send(f, r[0], r[1], r[2], "authorization", NodeFixture.ADMIN_TOKEN);
            assertThat(notBearer.status())
                    .as(r[0] + " " + r[1] + " without 'Bearer'")
                    .isEqualTo(401);
        }
        // Nothing was written by any of those.
        assertThat(json(send(f, "GET", "/api/v1/tenants", null, admin())).getLong("policy_version"))
                .isZero();
    }

    private void badBodiesAreRefusedNamingTheField(NodeFixture f) {
        String put = "/api/v1/tenants/acme";
        assertThat(error(send(f, "PUT", put, tenant("acme", ACME_KEY, "\"priority\": \"URGENT\""), admin())))
                .contains("priority")
                .contains("CRITICAL, DEFAULT, SHEDDABLE");
        assertThat(error(send(f, "PUT", put, tenant("acme", ACME_KEY, "\"rate\": -1"), admin())))
                .startsWith("tenant (id 'acme'): rate must be");
        assertThat(error(send(f, "PUT", put, tenant("acme", ACME_KEY, "\"max_in_flight\": 0"), admin())))
                .contains("max_in_flight must be >= 1");
        assertThat(error(send(f, "PUT", put, tenant("acme", ACME_KEY, "\"colour\": \"blue\""), admin())))
                .contains("unknown key 'colour'");
        assertThat(error(send(f, "PUT", put, "{\"key_sha256\": [\"abc\"]}", admin())))
                .contains("key_sha256[0]");
        assertThat(error(send(
                        f,
                        "PUT",
                        put,
                        "{\"id\": \"other\", \"key_sha256\": [\"" + TenantPolicy.sha256Hex("k") + "\"]}",
                        admin())))
                .contains("differs");
        assertThat(error(send(f, "PUT", put, "{not json", admin()))).contains("not valid YAML");
        assertThat(error(send(f, "PUT", put, "", admin()))).contains("body is empty");
        assertThat(error(send(f, "PUT", put, tenant("acme", ACME_KEY, ""), admin("If-Match", "latest"))))
                .contains("If-Match");
        assertThat(error(send(
                        f,
                        "PUT",
                        "/api/v1/tenants",
                        "tenants:\n" + tenantYaml("x", ACME_KEY) + "    weight: -2\n",
                        admin())))
                .startsWith("tenants[0] (id 'x'): weight must be > 0");
        assertThat(error(send(
                        f,
                        "PUT",
                        "/api/v1/tenants",
                        "tenants:\n" + tenantYaml("x", ACME_KEY) + tenantYaml("y", ACME_KEY),
                        admin())))
                .contains("key_sha256[0] is also a key of tenant 'x'");
        assertThat(send(f, "PUT", put, "x".repeat(TenantPolicyLoader.MAX_BYTES + 1), admin())
                        .status())
                .isEqualTo(413);
        assertThat(send(f, "DELETE", "/api/v1/tenants/default", null, admin()).status())
                .isEqualTo(400);
        // None of them wrote anything.
        assertThat(json(send(f, "GET", "/api/v1/tenants", null, admin())).getLong("policy_version"))
                .isZero();
    }

    private String error(Reply r) {
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        return json(r).getString("error");
    }

    /** One tenant object as JSON; {@code extraJson} adds fields, e.g. {@code "rate": 10}. */
    private static String tenant(String id, String key, String extraJson) {
        String extra = extraJson.isEmpty() ? "" : ", " + extraJson;
        return "{\"id\": \"" + id + "\", \"key_sha256\": [\"" + TenantPolicy.sha256Hex(key) + "\"], \"models\": [\"m\"]"
                + extra + "}";
    }

    private static String tenantYaml(String id, String key) {
        return "  - id: " + id + "\n    key_sha256: [" + TenantPolicy.sha256Hex(key) + "]\n    models: [m]\n";
    }

    private NodeFixture start(TestRepo repo, String id, List<String> peers, Path tenants) {
        NodeConfig config = NodeFixture.config(repo.root, tmp.resolve(id), 64L << 20, ControlMode.POLL)
                .withCluster(ClusterConfig.defaults().withNodeId(id).withPeers(peers), NodeFixture.CLUSTER_SECRET);
        return new NodeFixture(
                NodeFixture.await(MeshNode.start(tenants == null ? config : config.withTenants(tenants))));
    }

    private int infer(NodeFixture f, String key) {
        return key == null
                ? f.client.post("/v2/models/m/infer", BODY).status()
                : f.client
                        .post("/v2/models/m/infer", BODY, "authorization", "Bearer " + key)
                        .status();
    }

    private int nodes(NodeFixture f) {
        return json(send(f, "GET", "/api/v1/tenants", null, admin())).getInteger("nodes");
    }

    private long policyVersion(NodeFixture f) {
        return json(send(f, "GET", "/api/v1/tenants", null, admin())).getLong("policy_version");
    }

    private JsonObject usage(NodeFixture f, String tenant) {
        return json(send(f, "GET", "/api/v1/tenants/" + tenant, null, admin()))
                .getJsonObject("tenant")
                .getJsonObject("usage");
    }

    private static List<String> ids(JsonObject view) {
        JsonArray tenants = view.getJsonArray("tenants");
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < tenants.size(); i++) {
            ids.add(tenants.getJsonObject(i).getString("id"));
        }
        return ids;
    }

    private static String[] admin(String... more) {
        String[] h =
                Arrays.copyOf(new String[] {"authorization", "Bearer " + NodeFixture.ADMIN_TOKEN}, 2 + more.length);
        System.arraycopy(more, 0, h, 2, more.length);
        return h;
    }

    private static JsonObject json(Reply r) {
        return new JsonObject(r.body());
    }

    private record Reply(int status, String body, String etag) {}

    private Reply send(NodeFixture f, String method, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.node.httpPort() + path))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(
                    r.statusCode(), r.body(), r.headers().firstValue("etag").orElse(null));
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
