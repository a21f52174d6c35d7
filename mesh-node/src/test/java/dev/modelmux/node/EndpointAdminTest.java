package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.admin;
import static dev.modelmux.node.EndpointSupport.endpoint;
import static dev.modelmux.node.EndpointSupport.http;
import static dev.modelmux.node.EndpointSupport.put;
import static dev.modelmux.node.EndpointSupport.single;
import static dev.modelmux.node.EndpointSupport.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.node.v1.DecideResponse;
import dev.modelmux.repo.OnnxModelBuilder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoints admin API on a real node: the auth matrix, strict validation, the promotion gate
 * (signature and metadata, each refused with the reason), a retarget that loads the new version
 * before it takes traffic (and one whose version cannot load, refused with the old policy kept),
 * optimistic concurrency, and a blue-green switch and rollback, one call each, under concurrent
 * traffic with no failed request.
 */
class EndpointAdminTest {
    @TempDir
    Path tmp;

    private TestRepo repo() {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1, 2, 3);
        // Same metadata, another signature: 8 inputs.
        repo.config("wide", EndpointSupport.scorerConfig("wide", 8, EndpointSupport.METADATA))
                .file(
                        "wide",
                        1,
                        OnnxModelBuilder.mlp()
                                .inputDim(8)
                                .width(8)
                                .outputDim(2)
                                .softmax(true)
                                .build());
        // Same signature, trained on another dataset.
        repo.config(
                        "stale",
                        EndpointSupport.scorerConfig(
                                "stale", 4, Map.of("dataset", "credit-2025-01", "feature_schema", "fs-3")))
                .file("stale", 1, EndpointSupport.scorer(5));
        // Version 2 of 'broken' is not a model.
        repo.config("broken", EndpointSupport.scorerConfig("broken", 4, EndpointSupport.METADATA))
                .file("broken", 1, EndpointSupport.scorer(6))
                .file("broken", 2, "not an onnx model".getBytes());
        return repo;
    }

    @Test
    void everyRouteNeedsTheAdminToken() {
        try (NodeFixture f = NodeFixture.start(repo().root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            put(f, "e", endpoint(single("risk", 1)));
            String[][] routes = {
                {"GET", "/api/v1/endpoints"},
                {"PUT", "/api/v1/endpoints"},
                {"GET", "/api/v1/endpoints/e"},
                {"PUT", "/api/v1/endpoints/e"},
                {"DELETE", "/api/v1/endpoints/e"},
                {"POST", "/api/v1/endpoints/e/switch"},
                {"POST", "/api/v1/endpoints/e/rollback"}
            };
            for (String[] r : routes) {
                String body = r[0].equals("GET") || r[0].equals("DELETE") ? null : "{}";
                assertThat(http(f, r[0], r[1], body).status())
                        .as("%s %s without a token", r[0], r[1])
                        .isEqualTo(401);
                assertThat(http(f, r[0], r[1], body, "authorization", "Bearer not-the-admin-token-000")
                                .status())
                        .as("%s %s with a wrong token", r[0], r[1])
                        .isEqualTo(401);
                assertThat(http(f, r[0], r[1], body, "authorization", "Basic abc")
                                .status())
                        .isEqualTo(401);
            }
            // Nothing was changed by the refused calls.
            assertThat(admin(f, "GET", "/api/v1/endpoints", null).json().getLong("policy_version"))
                    .isEqualTo(1);
            // The tenants' keys are not admin tokens either: the decision API is not an admin route, these are.
            assertThat(admin(f, "GET", "/api/v1/endpoints/e", null).status()).isEqualTo(200);
        }
    }

    @Test
    void thePromotionGateRefusesWithTheReasonAndARetargetLoadsBeforeItTakesTraffic() {
        try (NodeFixture f = NodeFixture.start(repo().root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            EndpointSupport.Reply first = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("risk", 1)).encode(),
                    "if-match",
                    "0");
            assertThat(first.status()).as(first.body()).isEqualTo(201);
            assertThat(first.header("etag")).isEqualTo("\"1\"");

            // Signature: the schema comes from risk:1 (4 inputs); wide:1 has 8.
            EndpointSupport.Reply signature = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(EndpointSupport.weighted("canary", "risk", 1, 50, 1, 50)
                                    .put(
                                            "targets",
                                            new JsonArray()
                                                    .add(target("risk", 1).put("weight", 50))
                                                    .add(target("wide", 1).put("weight", 50))))
                            .encode());
            assertThat(signature.status()).as(signature.body()).isEqualTo(409);
            assertThat(signature.json().getString("error"))
                    .contains("wide:1")
                    .contains("input 'input' has dims [8], the endpoint declares [4]");
            // Metadata: stale:1 was built from another dataset.
            EndpointSupport.Reply metadata = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("stale", 1)).encode());
            assertThat(metadata.status()).isEqualTo(409);
            assertThat(metadata.json().getString("error"))
                    .contains("stale:1")
                    .contains(
                            "parameter 'dataset' is 'credit-2025-01', the endpoint's metadata needs 'credit-2026-10'");
            EndpointSupport.Reply unknown = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("nope", 1)).encode());
            assertThat(unknown.status()).isEqualTo(409);
            assertThat(unknown.json().getString("error")).contains("model 'nope' is not in the repository");
            EndpointSupport.Reply unserved = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("risk", 9)).encode());
            assertThat(unserved.status()).isEqualTo(409);
            assertThat(unserved.json().getString("error")).contains("does not serve version 9");
            // A declared schema (here on an endpoint for ModelInfer only) is checked the same way.
            EndpointSupport.Reply declared = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/raw",
                    new JsonObject()
                            .put("policy", single("risk", 2))
                            .put(
                                    "schema",
                                    new JsonObject()
                                            .put(
                                                    "inputs",
                                                    new JsonArray()
                                                            .add(new JsonObject()
                                                                    .put("name", "input")
                                                                    .put("data_type", "TYPE_FP16")
                                                                    .put("dims", new JsonArray().add(4))))
                                            .put(
                                                    "outputs",
                                                    new JsonArray()
                                                            .add(new JsonObject()
                                                                    .put("name", "output")
                                                                    .put("data_type", "TYPE_FP32")
                                                                    .put("dims", new JsonArray().add(-1)))))
                            .encode());
            assertThat(declared.status()).isEqualTo(409);
            assertThat(declared.json().getString("error"))
                    .contains("input 'input' is TYPE_FP32, the endpoint declares TYPE_FP16");
            // A bad body is a 400 naming the field; a name the repository uses for a model is refused.
            EndpointSupport.Reply bad = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("risk", 1))
                            .put("log", new JsonObject().put("sample_rate", 2))
                            .encode());
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.json().getString("error")).contains("log.sample_rate must be in [0.0, 1.0], was 2.0");
            assertThat(admin(
                                    f,
                                    "PUT",
                                    "/api/v1/endpoints/risk",
                                    endpoint(single("risk", 1)).encode())
                            .status())
                    .isEqualTo(409);
            assertThat(admin(f, "GET", "/api/v1/endpoints", null).json().getLong("policy_version"))
                    .isEqualTo(1);

            // Retarget to risk:3, which no node holds yet: it is READY before the write answers.
            assertThat(f.node.copies("risk", 3)).isEmpty();
            EndpointSupport.Reply retarget = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("risk", 3)).encode(),
                    "if-match",
                    "\"1\"");
            assertThat(retarget.status()).as(retarget.body()).isEqualTo(200);
            assertThat(retarget.json().getLong("policy_version")).isEqualTo(2);
            // Loaded on this node when the write answered; the shared placement table hears of it a moment later.
            assertThat(f.node.pool().resident(new ModelKey("risk", 3))).isPresent();
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> f.node.copies("risk", 3).stream().anyMatch(c -> c.endsWith(":READY")));
            assertThat(decideVersion(f, "credit")).isEqualTo("risk:3");

            // A version that cannot load is refused with the reason, and the policy in force stays.
            EndpointSupport.Reply broken = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("broken", 2)).encode());
            assertThat(broken.status()).isEqualTo(409);
            assertThat(broken.json().getString("error")).contains("broken:2").contains("could not be loaded");
            assertThat(decideVersion(f, "credit")).isEqualTo("risk:3");

            // A stale If-Match is a conflict naming the current version.
            EndpointSupport.Reply stale = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints/credit",
                    endpoint(single("risk", 1)).encode(),
                    "if-match",
                    "1");
            assertThat(stale.status()).isEqualTo(409);
            assertThat(stale.json().getLong("policy_version")).isEqualTo(2);
            assertThat(stale.header("etag")).isEqualTo("\"2\"");

            // Rollback: the previous definition (risk:1) comes back as a new version, in one call.
            EndpointSupport.Reply back = admin(f, "POST", "/api/v1/endpoints/credit/rollback", null);
            assertThat(back.status()).as(back.body()).isEqualTo(200);
            assertThat(back.json().getLong("policy_version")).isEqualTo(3);
            assertThat(decideVersion(f, "credit")).isEqualTo("risk:1");
            // The whole file at once; DELETE; the switch only for blue-green.
            EndpointSupport.Reply file = admin(
                    f,
                    "PUT",
                    "/api/v1/endpoints",
                    "endpoints:\n  - name: other\n    policy: "
                            + "{type: single, targets: [{model: risk, version: 2}]}\n    metadata: {dataset: credit-2026-10}\n");
            assertThat(file.status()).as(file.body()).isEqualTo(200);
            assertThat(file.json().getJsonArray("endpoints")).hasSize(1);
            assertThat(admin(f, "GET", "/api/v1/endpoints/credit", null).status())
                    .isEqualTo(404);
            assertThat(admin(f, "POST", "/api/v1/endpoints/other/switch", "{\"active\": \"green\"}")
                            .status())
                    .isEqualTo(409);
            assertThat(admin(f, "POST", "/api/v1/endpoints/other/rollback", null)
                            .status())
                    .isEqualTo(409);
            assertThat(admin(f, "DELETE", "/api/v1/endpoints/other", null)
                            .json()
                            .getString("deleted"))
                    .isEqualTo("other");
            assertThat(admin(f, "DELETE", "/api/v1/endpoints/other", null).status())
                    .isEqualTo(404);
        }
    }

    @Test
    void aBlueGreenSwitchAndItsRollbackAreOneCallEachAndNoRequestFailsMeanwhile() throws Exception {
        try (NodeFixture f = NodeFixture.start(repo().root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            JsonObject bg = new JsonObject()
                    .put("type", "blue_green")
                    .put("active", "blue")
                    .put(
                            "targets",
                            new JsonArray()
                                    .add(target("risk", 1).put("name", "blue"))
                                    .add(target("risk", 2).put("name", "green")));
            put(f, "bg", endpoint(bg));
            assertThat(decideVersion(f, "bg")).isEqualTo("risk:1");

            AtomicBoolean running = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Set<String> seen = ConcurrentHashMap.newKeySet();
            int loops = 8;
            CountDownLatch done = new CountDownLatch(loops);
            for (int i = 0; i < loops; i++) {
                traffic(f, "loop-" + i, running, failures, seen, done);
            }
            await().atMost(NodeFixture.PATIENCE).until(() -> seen.contains("risk:1"));
            EndpointSupport.Reply green = admin(f, "POST", "/api/v1/endpoints/bg/switch", "{\"active\": \"green\"}");
            assertThat(green.status()).as(green.body()).isEqualTo(200);
            assertThat(green.json()
                            .getJsonObject("endpoint")
                            .getJsonObject("policy")
                            .getString("active"))
                    .isEqualTo("green");
            seen.clear();
            await().atMost(NodeFixture.PATIENCE).until(() -> seen.contains("risk:2"));
            // Asking for what is already active writes nothing.
            assertThat(admin(f, "POST", "/api/v1/endpoints/bg/switch", "{\"active\": \"green\"}")
                            .json()
                            .getLong("policy_version"))
                    .isEqualTo(green.json().getLong("policy_version"));
            EndpointSupport.Reply rollback = admin(f, "POST", "/api/v1/endpoints/bg/rollback", null);
            assertThat(rollback.status()).as(rollback.body()).isEqualTo(200);
            assertThat(rollback.json()
                            .getJsonObject("endpoint")
                            .getJsonObject("policy")
                            .getString("active"))
                    .isEqualTo("blue");
            seen.clear();
            await().atMost(NodeFixture.PATIENCE).until(() -> seen.contains("risk:1"));
            running.set(false);
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(failures).as("requests that failed during the switches").isEmpty();
            assertThat(decideVersion(f, "bg")).isEqualTo("risk:1");
            assertThat(admin(f, "POST", "/api/v1/endpoints/bg/switch", "{\"active\": \"purple\"}")
                            .status())
                    .isEqualTo(400);
        }
    }

    /** Back-to-back decisions until {@code running} is cleared; what failed, and which versions answered. */
    private static void traffic(
            NodeFixture f,
            String id,
            AtomicBoolean running,
            ConcurrentLinkedQueue<String> failures,
            Set<String> seen,
            CountDownLatch done) {
        if (!running.get()) {
            done.countDown();
            return;
        }
        EndpointSupport.decideGrpc(
                        f,
                        DecideRequest.newBuilder()
                                .setModelName("bg")
                                .setEntityId(id)
                                .build(),
                        Map.of())
                .onComplete(ar -> {
                    if (ar.failed() || ar.result().status() != GrpcStatus.OK) {
                        failures.add(
                                ar.failed()
                                        ? ar.cause().toString()
                                        : ar.result().status() + ": "
                                                + ar.result().message());
                    } else {
                        DecideResponse r = ar.result().body();
                        seen.add(r.getModelVersion());
                        if (!r.getLadderStep().equals("primary")) {
                            failures.add("answered by " + r.getLadderStep() + ": " + r.getFallbackReason());
                        }
                    }
                    traffic(f, id, running, failures, seen, done);
                });
    }

    private static String decideVersion(NodeFixture f, String endpoint) {
        return NodeFixture.await(EndpointSupport.decideGrpc(
                        f,
                        DecideRequest.newBuilder()
                                .setModelName(endpoint)
                                .setEntityId("u")
                                .build(),
                        Map.of()))
                .ok()
                .getModelVersion();
    }
}
