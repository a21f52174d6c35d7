package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.repo.OnnxModelBuilder;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batching decision on a real node with real ONNX Runtime runs ({@code batching: auto}, the
 * default): under concurrent load a wide MLP (512 → 4096 → 512, whose weights a batch reads once
 * for all its rows) ends up batched, and a model whose batched runs cost more per row than single
 * ones (it mixes its rows: x·xᵀ·x) runs unbatched. Asserts on the decision the admin API shows,
 * never on timings.
 */
class BatchingDecisionTest {
    @TempDir
    static Path dir;

    static NodeFixture fx;

    private static final int WIDE = 512;
    private static final int MIXING = 8192;
    private static final String AUTO = "dynamic_batching { max_queue_delay_microseconds: 2000 }\n";

    @BeforeAll
    static void start() throws Exception {
        Path repo = dir.resolve("repo");
        byte[] wide = OnnxModelBuilder.mlp()
                .inputDim(WIDE)
                .width(4096)
                .depth(1)
                .outputDim(WIDE)
                .seed(3)
                .build();
        new TestRepo(repo)
                .config("wide", TestRepo.mlpConfig("wide", WIDE, WIDE, 32) + AUTO)
                .file("wide", 1, wide)
                .config("mixing", TestRepo.mlpConfig("mixing", MIXING, MIXING, 32) + AUTO)
                .file("mixing", 1, OnnxModelBuilder.rowMixing(MIXING, 4));
        fx = NodeFixture.start(repo, dir.resolve("data"), 1L << 30, ControlMode.POLL);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void aWideMlpRunsBatchedUnderLoad() {
        ModelInferRequest req = fp32("wide", "input", ramp(WIDE, 0.01f), 1, WIDE);
        underLoad(
                req,
                () -> "BATCH"
                        .equals(decision("wide")
                                .map(b -> b.getString("decision"))
                                .orElse("")));
        JsonObject b = decision("wide").orElseThrow();
        assertThat(b.getString("device")).isEqualTo("cpu0");
        assertThat(b.getString("reason")).startsWith("batching: batched runs cost");
        assertThat(b.getDouble("batch_us_per_row")).isLessThan(b.getDouble("single_us_per_row"));
    }

    /**
     * The row-mixing model's batches cost more per row than its single runs on some machines and less on
     * others (measured: 1.26x on an idle dev VM, 0.48x in a CI run), so this checks that the node follows
     * its own measurement on this machine: after a completed comparison the model runs unbatched exactly
     * when batched runs did not cost at least 10% less per row. That batching which loses is turned off
     * is shown deterministically on a fake clock ({@code DeviceQueueBatchingTest}, {@code BatchDeciderTest}).
     */
    @Test
    void aModelRunsTheWayItsOwnComparisonFavours() {
        ModelInferRequest req = fp32("mixing", "input", ramp(MIXING, 0.001f), 1, MIXING);
        java.util.concurrent.atomic.AtomicReference<String> last = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            underLoad(
                    req,
                    () -> decision("mixing")
                            .map(b -> {
                                last.set(b.encode());
                                String r = b.getString("reason");
                                return r.contains(": batched runs cost") && !r.endsWith("; confirming");
                            })
                            .orElse(false));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("no comparison completed; the decider's last view: " + last.get(), e);
        }
        JsonObject b = decision("mixing").orElseThrow();
        double ratio = b.getDouble("batch_us_per_row") / b.getDouble("single_us_per_row");
        String expected = b.getString("reason").startsWith("batching:") ? "BATCH" : "SINGLE";
        assertThat(b.getString("decision")).as(b.encode()).isEqualTo(expected);
        if (expected.equals("SINGLE")) {
            assertThat(ratio).as(b.encode()).isGreaterThan(0.9);
        } else {
            assertThat(ratio).as(b.encode()).isLessThanOrEqualTo(0.95);
        }
    }

    /** Sixteen closed-loop clients send {@code req} until {@code done} holds. */
    private static void underLoad(ModelInferRequest req, java.util.concurrent.Callable<Boolean> done) {
        fx.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, req).ok(); // load it
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong failed = new AtomicLong();
        AtomicLong inFlight = new AtomicLong();
        for (int i = 0; i < 16; i++) {
            loop(req, stop, failed, inFlight);
        }
        try {
            await().atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(200))
                    .until(done);
        } finally {
            stop.set(true);
            await().atMost(NodeFixture.PATIENCE).until(() -> inFlight.get() == 0);
        }
        assertThat(failed.get()).as("failed calls").isZero();
    }

    private static void loop(ModelInferRequest req, AtomicBoolean stop, AtomicLong failed, AtomicLong inFlight) {
        if (stop.get()) {
            return;
        }
        inFlight.incrementAndGet();
        fx.client
                .callAsync(GRPCInferenceServiceGrpcClient.ModelInfer, req, Map.of(), 0)
                .onComplete(ar -> {
                    if (ar.failed() || ar.result().status() != GrpcStatus.OK) {
                        failed.incrementAndGet();
                    }
                    inFlight.decrementAndGet();
                    loop(req, stop, failed, inFlight);
                });
    }

    /** The model's batching decision on this node, from the admin API; empty before one exists. */
    private static Optional<JsonObject> decision(String model) {
        OipClient.Http r = fx.client.getWithToken("/api/v1/models");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return new JsonObject(r.body())
                .getJsonArray("models").stream()
                        .map(o -> (JsonObject) o)
                        .filter(o -> o.getString("name").equals(model))
                        .findFirst()
                        .map(o -> o.getJsonArray("batching_here", new JsonArray()))
                        .filter(a -> !a.isEmpty())
                        .map(a -> a.getJsonObject(0));
    }
}
