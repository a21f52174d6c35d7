package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.admin;
import static dev.modelmux.node.EndpointSupport.decide;
import static dev.modelmux.node.EndpointSupport.decideBody;
import static dev.modelmux.node.EndpointSupport.endpoint;
import static dev.modelmux.node.EndpointSupport.put;
import static dev.modelmux.node.EndpointSupport.single;
import static dev.modelmux.node.EndpointSupport.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.predlog.PredictionRecord;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The degradation ladder on a real node, each step reached by a real fault: a feature store slower
 * than the endpoint's timeout (defaults used and flagged), a deadline too near for a model, a primary whose artifact
 * became unloadable (the fallback answers; then its circuit breaker opens), the fallback unloadable
 * too (the rules answer, or the safe default when no rule matches), and a device so busy that it
 * sheds the request (the next step answers). The log records which step answered.
 */
class LadderTest {
    private static final String CORRUPT = "this is not an ONNX model any more";

    @TempDir
    Path tmp;

    private static JsonObject ladderEndpoint(String primary, String fallback, double ruleAbove) {
        return endpoint(single(primary, 1))
                .put(
                        "ladder",
                        new JsonObject()
                                .put("fallback", target(fallback, 1))
                                .put(
                                        "rules",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("feature", "txn.amount")
                                                        .put("above", ruleAbove)
                                                        .put("decision", "review")
                                                        .put("score", 0.6)))
                                .put(
                                        "safe_default",
                                        new JsonObject()
                                                .put("decision", "manual")
                                                .put("score", 0.5))
                                .put("deadline_margin_ms", 20))
                .put(
                        "circuit_breaker",
                        new JsonObject()
                                .put("failure_rate_percent", 50)
                                .put("minimum_calls", 4)
                                .put("window", 4)
                                .put("open_ms", 600_000));
    }

    @Test
    void eachStepIsReachedByARealFaultAndTheLogSaysWhichAnswered() throws Exception {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1);
        EndpointSupport.scorers(repo, "risk-fb", 1);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            ConcurrentLinkedQueue<PredictionRecord> records = new ConcurrentLinkedQueue<>();
            f.node.endpoints().onRecord(records::add);
            // The default txn.amount (50) is above 10, so the rule matches; nothing is above 1e9.
            put(f, "ladder", ladderEndpoint("risk", "risk-fb", 10));
            put(f, "strict", ladderEndpoint("risk", "risk-fb", 1e9));
            JsonObject ok = decide(f, decideBody("ladder", "u-1")).json();
            assertThat(ok.getString("ladder_step")).isEqualTo("primary");
            assertThat(ok.getBoolean("features_timed_out")).isFalse();

            // 10 ms left, a 20 ms margin: no time for a model, the rules answer at once.
            EndpointSupport.Reply hurried = decide(f, decideBody("ladder", "u-3"), "x-modelmux-timeout-ms", "10");
            assertThat(hurried.json().getString("ladder_step")).isEqualTo("rules");
            assertThat(hurried.json().getString("fallback_reason"))
                    .contains("primary risk:1: deadline")
                    .contains("fallback risk-fb:1: deadline");
            assertThat(hurried.json().getString("decision")).isEqualTo("review");

            // The primary's artifact becomes unloadable: the fallback model answers.
            corrupt(f, repo, "risk");
            JsonObject fb = decide(f, decideBody("ladder", "u-4").put("request_id", "fb-1"))
                    .json();
            assertThat(fb.getString("ladder_step")).as(fb.encode()).isEqualTo("fallback");
            assertThat(fb.getBoolean("fallback_used")).isTrue();
            assertThat(fb.getString("model_version")).isEqualTo("risk-fb:1");
            assertThat(fb.getString("fallback_reason")).isEqualTo("primary risk:1: unavailable");
            // After minimum_calls failures the primary's breaker opens: it is no longer even tried.
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> decide(f, decideBody("ladder", "u-5"))
                            .json()
                            .getString("fallback_reason")
                            .equals("primary risk:1: circuit_open"));
            assertThat(admin(f, "GET", "/api/v1/endpoints/ladder", null)
                            .json()
                            .getJsonObject("circuit_breakers")
                            .getString("risk:1"))
                    .isEqualTo("OPEN");

            // The fallback too: the rules answer; with no matching rule, the safe default.
            corrupt(f, repo, "risk-fb");
            JsonObject rules = decide(f, decideBody("ladder", "u-6")).json();
            assertThat(rules.getString("ladder_step")).as(rules.encode()).isEqualTo("rules");
            assertThat(rules.getString("model_version")).isEmpty();
            assertThat(rules.getString("decision")).isEqualTo("review");
            assertThat(rules.getDouble("score")).isEqualTo(0.6);
            assertThat(rules.getString("fallback_reason"))
                    .startsWith("primary risk:1: circuit_open; fallback risk-fb:1: ");
            JsonObject safe = decide(f, decideBody("strict", "u-7")).json();
            assertThat(safe.getString("ladder_step")).isEqualTo("safe_default");
            assertThat(safe.getString("decision")).isEqualTo("manual");
            assertThat(safe.getDouble("score")).isEqualTo(0.5);
            assertThat(safe.getDouble("confidence")).isZero();

            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> records.stream().anyMatch(r -> r.ladderStep().equals("safe_default")));
            PredictionRecord fallbackRecord = records.stream()
                    .filter(r -> r.requestId().equals("fb-1"))
                    .findFirst()
                    .orElseThrow();
            assertThat(fallbackRecord.kind()).isEqualTo("decide");
            assertThat(fallbackRecord.ladderStep()).isEqualTo("fallback");
            assertThat(fallbackRecord.fallbackUsed()).isTrue();
            assertThat(fallbackRecord.model()).isEqualTo("risk-fb");
            assertThat(fallbackRecord.features()).containsEntry("txn.amount", 50.0);
            assertThat(records)
                    .extracting(PredictionRecord::ladderStep)
                    .contains("primary", "fallback", "rules", "safe_default");
            for (String step : List.of("primary", "fallback", "rules", "safe_default")) {
                assertThat(EndpointSupport.metric(f, "modelmux_endpoint_requests_total", "api", "decide", "step", step))
                        .as(step)
                        .isPositive();
            }
        }
    }

    @Test
    void aFeatureStoreSlowerThanTheTimeoutGivesTheDefaultsFlagged() {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1);
        EndpointSupport.scorers(repo, "risk-fb", 1);
        try (NodeFixture f =
                EndpointSupport.startWithSlowFeatures(repo.root, tmp.resolve("data"), Duration.ofSeconds(30))) {
            ConcurrentLinkedQueue<PredictionRecord> records = new ConcurrentLinkedQueue<>();
            f.node.endpoints().onRecord(records::add);
            JsonObject slow = ladderEndpoint("risk", "risk-fb", 10);
            slow.getJsonObject("features").put("timeout_ms", 50);
            put(f, "ladder", slow);
            // The lookups take 30 s, the endpoint's timeout is 50 ms: the defaults, flagged; the model still answers.
            JsonObject d = decide(f, decideBody("ladder", "u-2").put("request_id", "slow-1"))
                    .json();
            assertThat(d.getBoolean("features_timed_out")).isTrue();
            assertThat(d.getBoolean("features_defaulted")).isTrue();
            assertThat(d.getString("ladder_step")).isEqualTo("primary");
            assertThat(d.getString("model_version")).isEqualTo("risk:1");
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> records.stream().anyMatch(r -> r.requestId().equals("slow-1")));
            PredictionRecord r = records.stream()
                    .filter(x -> x.requestId().equals("slow-1"))
                    .findFirst()
                    .orElseThrow();
            assertThat(r.features()).containsEntry("user.age", 35.0).containsEntry("txn.amount", 50.0);
            assertThat(r.output()).asString().contains("features_timed_out=true");
        }
    }

    @Test
    void aRequestTheDeviceShedsGoesToTheNextStep() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        repo.config("heavy", EndpointSupport.scorerConfig("heavy", 4, EndpointSupport.METADATA))
                .file("heavy", 1, EndpointSupport.slowScorer(1));
        EndpointSupport.scorers(repo, "quick", 1);
        Path tenants = tmp.resolve("tenants.yaml");
        Files.writeString(
                tenants,
                "tenants:\n"
                        + "  - {id: flood, key_sha256: [" + TenantPolicy.sha256Hex("key-flood-0123456789")
                        + "], max_in_flight: 512}\n"
                        + "  - {id: bulk, priority: SHEDDABLE, key_sha256: ["
                        + TenantPolicy.sha256Hex("key-bulk-0123456789") + "]}\n");
        NodeConfig config = NodeFixture.config(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)
                .withTenants(tenants);
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config)))) {
            put(f, "busy", ladderEndpoint("heavy", "quick", 10));
            String bulk = "Bearer key-bulk-0123456789";
            assertThat(decide(f, decideBody("busy", "u"), "authorization", bulk)
                            .json()
                            .getString("ladder_step"))
                    .isEqualTo("primary");

            // Another tenant floods the device with the heavy model; the SHEDDABLE tenant's decisions are shed first.
            AtomicBoolean flooding = new AtomicBoolean(true);
            AtomicInteger floodFailures = new AtomicInteger();
            int loops = 48;
            CountDownLatch stopped = new CountDownLatch(loops);
            ModelInferRequest heavy = Requests.fp32("heavy", "input", new float[] {35, 40000, 50, 1}, 1, 4);
            for (int i = 0; i < loops; i++) {
                flood(f, heavy, flooding, floodFailures, stopped);
            }
            JsonObject[] shed = new JsonObject[1];
            try {
                await().atMost(NodeFixture.PATIENCE)
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> {
                            EndpointSupport.Reply r = decide(f, decideBody("busy", "u"), "authorization", bulk);
                            assertThat(r.status()).as(r.body()).isEqualTo(200);
                            JsonObject d = r.json();
                            if (d.getString("fallback_reason", "").contains("primary heavy:1: shed")) {
                                shed[0] = d;
                                return true;
                            }
                            return false;
                        });
            } finally {
                flooding.set(false);
                assertThat(stopped.await(60, TimeUnit.SECONDS)).isTrue();
            }
            // The next step answers: the fallback model, or the rules when the fallback could not answer either.
            JsonObject next = shed[0];
            assertThat(next.getBoolean("fallback_used")).isTrue();
            if (next.getString("ladder_step").equals("fallback")) {
                assertThat(next.getString("model_version")).isEqualTo("quick:1");
            } else {
                assertThat(next.getString("ladder_step")).as(next.encode()).isEqualTo("rules");
                assertThat(next.getString("fallback_reason")).contains("; fallback quick:1: ");
                assertThat(next.getString("decision")).isEqualTo("review");
            }
            assertThat(EndpointSupport.metric(f, "modelmux_tenant_rejected_total", "tenant", "bulk", "reason", "shed"))
                    .isPositive();
        }
    }

    /** Back-to-back ModelInfer calls of another tenant until {@code running} is cleared. */
    private static void flood(
            NodeFixture f,
            ModelInferRequest req,
            AtomicBoolean running,
            AtomicInteger failures,
            CountDownLatch stopped) {
        if (!running.get()) {
            stopped.countDown();
            return;
        }
        Future<OipClient.Reply<ModelInferResponse>> call = f.client.callAsync(
                GRPCInferenceServiceGrpcClient.ModelInfer,
                req,
                Map.of("authorization", "Bearer key-flood-0123456789"),
                0);
        call.onComplete(ar -> {
            if (ar.failed() || ar.result().status() != GrpcStatus.OK) {
                failures.incrementAndGet();
            }
            flood(f, req, running, failures, stopped);
        });
    }

    /** Unloads the model, replaces its version 1 with bytes that are not a model, and rescans. */
    private static void corrupt(NodeFixture f, TestRepo repo, String model) {
        assertThat(admin(f, "POST", "/v2/repository/models/" + model + "/unload", null)
                        .status())
                .isEqualTo(200);
        repo.file(model, 1, CORRUPT.getBytes());
        f.rescan();
    }
}
