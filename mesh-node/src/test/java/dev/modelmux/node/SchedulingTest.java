package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.modelmux.admission.sched.DeviceQueue;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.NodeProto;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device scheduler on a real node: dynamic batching of real models (batched results equal
 * unbatched ones, mixed shapes never stack, a bad request fails alone), deadlines from every
 * source expiring in the queue without running (the device held, so they must wait), a running
 * inference terminated by ONNX Runtime at its deadline, and the metrics.
 */
class SchedulingTest {
    @TempDir
    static Path dir;

    static NodeFixture fx;
    static byte[] mlp;
    static byte[] minilm;
    static OrtSession minilmReference;

    /** These tests are about stacking and splitting: their models batch whatever a device would measure. */
    private static final String ALWAYS = "parameters { key: \"batching\" value { string_value: \"always\" } }\n";

    private static final String BATCHING = "dynamic_batching { max_queue_delay_microseconds: 50000 }\n" + ALWAYS;
    /** The input width of "plain", a model without batching for the REST case. */
    private static final int PLAIN_WIDTH = 64;

    @BeforeAll
    static void start() throws Exception {
        Path repo = dir.resolve("repo");
        mlp = TestRepo.mlpBytes(16, 4, 64 * 1024, 11);
        // The full-precision model: MiniLM-q quantizes activations dynamically, with one scale over the
        // whole input tensor, so its outputs depend on what else is in the batch (see README).
        minilm = Files.readAllBytes(TestRepo.minilm());
        byte[] plain = OnnxModelBuilder.mlp()
                .inputDim(PLAIN_WIDTH)
                .width(PLAIN_WIDTH)
                .depth(2)
                .outputDim(8)
                .seed(5)
                .build();
        new TestRepo(repo)
                .config(
                        "mlp-b",
                        TestRepo.mlpConfig("mlp-b", 16, 4, 8)
                                + "dynamic_batching { preferred_batch_size: [ 8 ] max_queue_delay_microseconds: 50000 }\n"
                                + ALWAYS)
                .file("mlp-b", 1, mlp)
                .config("minilm-b", TestRepo.minilmConfig("minilm-b") + BATCHING)
                .copy("minilm-b", 1, TestRepo.minilm())
                .config(
                        "plain",
                        "name: \"plain\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 0\n"
                                + "input [ { name: \"input\" data_type: TYPE_FP32 dims: [ -1, " + PLAIN_WIDTH
                                + " ] } ]\n"
                                + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ -1, 8 ] } ]\n")
                .file("plain", 1, plain)
                .config(
                        "quick-timeout",
                        TestRepo.mlpConfig("quick-timeout", 16, 4, 8)
                                + "dynamic_batching { max_queue_delay_microseconds: 100 default_queue_policy { timeout_action: REJECT"
                                + " default_timeout_microseconds: 50000 allow_timeout_override: true } }\n"
                                + ALWAYS)
                .file("quick-timeout", 1, mlp)
                .config(
                        "spin",
                        "name: \"spin\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 0\n"
                                + "input [ { name: \"n\" data_type: TYPE_INT64 dims: [ 1 ] },"
                                + " { name: \"x\" data_type: TYPE_FP32 dims: [ 1 ] } ]\n"
                                + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 1 ] } ]\n")
                .file("spin", 1, spinModel());
        fx = NodeFixture.start(repo, dir.resolve("data"), 1L << 30, ControlMode.POLL);
        // Load everything once, so that the tests below measure queues, not loads.
        for (String m : List.of("mlp-b", "plain", "quick-timeout")) {
            fx.client
                    .call(
                            GRPCInferenceServiceGrpcClient.ModelInfer,
                            m.equals("plain") ? plainRequest() : fp32(m, "input", ramp(16, 1f), 1, 16))
                    .ok();
        }
        fx.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, tokens("minilm-b", 1, 8, 0))
                .ok();
        fx.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, spinRequest(1))
                .ok();
    }

    /**
     * A model that runs as long as it is asked to: a Loop of {@code n} iterations (an input) whose body
     * passes {@code x} through. ONNX Runtime checks its terminate flag on every iteration; warm-up runs
     * it with zeros, that is no iterations.
     */
    private static byte[] spinModel() {
        GraphProto body = GraphProto.newBuilder()
                .setName("body")
                .addNode(NodeProto.newBuilder()
                        .setOpType("Identity")
                        .addInput("cond_in")
                        .addOutput("cond_out"))
                .addNode(NodeProto.newBuilder()
                        .setOpType("Identity")
                        .addInput("x_in")
                        .addOutput("x_out"))
                .addInput(OnnxModelBuilder.valueInfo("i", DataType.INT64))
                .addInput(OnnxModelBuilder.valueInfo("cond_in", DataType.BOOL))
                .addInput(OnnxModelBuilder.valueInfo("x_in", DataType.FP32, 1))
                .addOutput(OnnxModelBuilder.valueInfo("cond_out", DataType.BOOL))
                .addOutput(OnnxModelBuilder.valueInfo("x_out", DataType.FP32, 1))
                .build();
        GraphProto graph = GraphProto.newBuilder()
                .setName("spin")
                .addNode(NodeProto.newBuilder()
                        .setOpType("Loop")
                        .addInput("n")
                        .addInput("")
                        .addInput("x")
                        .addOutput("output")
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("body")
                                .setType(AttributeProto.AttributeType.GRAPH)
                                .setG(body)))
                .addInput(OnnxModelBuilder.valueInfo("n", DataType.INT64, 1))
                .addInput(OnnxModelBuilder.valueInfo("x", DataType.FP32, 1))
                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.FP32, 1))
                .build();
        return OnnxModelBuilder.model(graph).toByteArray();
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            fx.close();
        }
        if (minilmReference != null) {
            minilmReference.close();
        }
    }

    // ---- batching ----

    @Test
    void batchedMiniLmEqualsUnbatchedWithMixedShapesAndBadRequestsAmongThem() throws Exception {
        List<ModelInferRequest> good = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            int rows = 1 + i % 2;
            int seq = i % 3 == 0 ? 16 : 8; // two sequence lengths: they must never stack together
            good.add(tokens("minilm-b", rows, seq, i));
        }
        ModelInferRequest outOfVocabulary =
                withToken(tokens("minilm-b", 1, 8, 99), 5_000_000L); // fails inside the runtime
        ModelInferRequest wrongRank = ModelInferRequest.newBuilder(tokens("minilm-b", 1, 8, 98))
                .setInputs(
                        0,
                        tokens("minilm-b", 1, 8, 98).getInputs(0).toBuilder()
                                .clearShape()
                                .addShape(8))
                .build();
        ModelInferRequest tooManyRows = tokens("minilm-b", 9, 8, 97); // max_batch_size is 8

        List<Future<OipClient.Reply<ModelInferResponse>>> replies = new ArrayList<>();
        List<ModelInferRequest> all = new ArrayList<>(good);
        all.add(7, outOfVocabulary);
        all.add(3, wrongRank);
        all.add(12, tooManyRows);
        for (ModelInferRequest r : all) {
            replies.add(fx.client.callAsync(GRPCInferenceServiceGrpcClient.ModelInfer, r, Map.of(), 0));
        }
        for (int i = 0; i < all.size(); i++) {
            ModelInferRequest req = all.get(i);
            OipClient.Reply<ModelInferResponse> reply = NodeFixture.await(replies.get(i));
            if (req == outOfVocabulary || req == wrongRank || req == tooManyRows) {
                assertThat(reply.status())
                        .as("bad request %d: %s", i, reply.message())
                        .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
                continue;
            }
            assertThat(reply.status()).as("request %d: %s", i, reply.message()).isEqualTo(GrpcStatus.OK);
            float[] got = floats(reply.body(), 0);
            float[] want = referenceMiniLm(req, reply.body().getOutputs(0).getName());
            assertThat(got).hasSize(want.length);
            for (int k = 0; k < want.length; k++) {
                assertThat(got[k]).as("request %d element %d", i, k).isCloseTo(want[k], within(1e-5f));
            }
            assertThat(reply.body().getOutputs(0).getShape(0))
                    .isEqualTo(req.getInputs(0).getShape(0));
        }
        double[] batches = summary("modelmux_batch_requests", "minilm-b");
        assertThat(batches[0] / batches[1])
                .as("requests per batched run (sum %s / count %s)", batches[0], batches[1])
                .isGreaterThan(1.0);
    }

    @Test
    void batchedMlpOverGrpcAndRestEqualsInProcess() throws Exception {
        List<Future<OipClient.Reply<ModelInferResponse>>> grpc = new ArrayList<>();
        List<float[]> inputs = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            int rows = 1 + i % 3;
            float[] x = ramp(rows * 16, 1f + i);
            inputs.add(x);
            grpc.add(fx.client.callAsync(
                    GRPCInferenceServiceGrpcClient.ModelInfer, fp32("mlp-b", "input", x, rows, 16), Map.of(), 0));
        }
        for (int i = 0; i < inputs.size(); i++) {
            float[] x = inputs.get(i);
            int rows = x.length / 16;
            float[] want = Requests.reference(
                    mlp,
                    Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, 16})),
                    "output");
            assertThat(floats(NodeFixture.await(grpc.get(i)).ok(), 0)).containsExactly(want, within(1e-5f));
        }
        // REST takes the same path into the batcher.
        float[] x = ramp(2 * 16, 3f);
        JsonArray data = new JsonArray();
        for (float f : x) {
            data.add(f);
        }
        String body = new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("name", "input")
                                        .put("datatype", "FP32")
                                        .put("shape", List.of(2, 16))
                                        .put("data", data)))
                .encode();
        OipClient.Http rest = fx.client.post("/v2/models/mlp-b/infer", body);
        assertThat(rest.status()).as(rest.body()).isEqualTo(200);
        JsonArray out = new JsonObject(rest.body())
                .getJsonArray("outputs")
                .getJsonObject(0)
                .getJsonArray("data");
        float[] want = Requests.reference(
                mlp,
                Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, 16})),
                "output");
        for (int k = 0; k < want.length; k++) {
            assertThat(out.getDouble(k).floatValue()).isCloseTo(want[k], within(1e-5f));
        }
    }

    // ---- deadlines ----

    /** The answer of a request whose deadline passed while it waited on device cpu0. */
    private static final Pattern EXPIRED_IN_QUEUE =
            Pattern.compile("deadline exceeded after ([0-9]+) µs waiting on device cpu0; the inference did not run");

    @Test
    void deadlinesFromEverySourceExpireInTheQueueWithoutRunning() {
        // Each case runs while the device is held: nothing starts, so the request under test must wait in
        // the queue until its deadline, whatever the machine's speed. The deadlines are a second long so that
        // even a slow machine decodes the request and queues it well before its deadline.
        whileHeld("mlp-b", () -> {
            // The timeout parameter, in microseconds.
            ModelInferRequest withParam = fp32("mlp-b", "input", ramp(16, 1f), 1, 16).toBuilder()
                    .putParameters(
                            "timeout",
                            InferParameter.newBuilder().setInt64Param(1_000_000).build())
                    .build();
            OipClient.Reply<ModelInferResponse> p =
                    fx.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, withParam);
            assertThat(p.status()).as(p.message()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
            assertThat(p.message()).matches(EXPIRED_IN_QUEUE);
        });
        whileHeld("mlp-b", () -> {
            // The gRPC deadline. The server answers DEADLINE_EXCEEDED: its gRPC layer at the deadline (with no
            // message), or the device queue with its own message, whichever writes first; either way the
            // device queue expires the request, which the tenant's rejection counter shows.
            double expiredBefore = expiredInQueue("mlp-b");
            OipClient.Reply<ModelInferResponse> g = NodeFixture.await(fx.client.callAsync(
                    GRPCInferenceServiceGrpcClient.ModelInfer,
                    fp32("mlp-b", "input", ramp(16, 1f), 1, 16),
                    Map.of(),
                    1_000));
            assertThat(g.status()).as(g.message()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
            if (g.message() != null && !g.message().isEmpty()) {
                assertThat(g.message()).matches(EXPIRED_IN_QUEUE);
            }
            Awaitility.await()
                    .atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> expiredInQueue("mlp-b") == expiredBefore + 1);
        });
        whileHeld("plain", () -> {
            // The REST header, in milliseconds.
            OipClient.Http h = fx.client.post("/v2/models/plain/infer", plainJson(), "x-modelmux-timeout-ms", "1000");
            assertThat(h.status()).as(h.body()).isEqualTo(504);
            assertThat(new JsonObject(h.body()).getString("error")).matches(EXPIRED_IN_QUEUE);
        });
        whileHeld("quick-timeout", () -> {
            // The model's default queue timeout (50 ms, REJECT): a longer request timeout cannot extend it.
            ModelInferRequest longer = fp32("quick-timeout", "input", ramp(16, 1f), 1, 16).toBuilder()
                    .putParameters(
                            "timeout",
                            InferParameter.newBuilder()
                                    .setInt64Param(60_000_000)
                                    .build())
                    .build();
            OipClient.Reply<ModelInferResponse> d = fx.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, longer);
            assertThat(d.status()).as(d.message()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
            Matcher waited = EXPIRED_IN_QUEUE.matcher(d.message());
            assertThat(waited.matches()).as(d.message()).isTrue();
            assertThat(Long.parseLong(waited.group(1)))
                    .as("µs waited: the model's 50 ms, not the request's 60 s")
                    .isBetween(50_000L, 59_999_999L);
        });
        // Nothing was lost: the node serves normally afterwards.
        fx.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("mlp-b", "input", ramp(16, 1f), 1, 16))
                .ok();
    }

    /**
     * Runs {@code check} while device cpu0 starts nothing, then checks that no request of {@code model}
     * left the queue to run meanwhile and that nothing is left waiting.
     */
    private static void whileHeld(String model, Runnable check) {
        double dispatchedBefore = dispatched(model);
        try (DeviceQueue.Hold hold = fx.node.schedulers().hold("cpu0")) {
            check.run();
            assertThat(fx.node.schedulers().queued()).isZero();
        }
        assertThat(dispatched(model))
                .as("requests of %s that left the queue to run", model)
                .isEqualTo(dispatchedBefore);
    }

    /** Requests of {@code model} that left cpu0's queue to run. */
    private static double dispatched(String model) {
        return EndpointSupport.metric(fx, "modelmux_tenant_dispatched_total", "model", model, "tenant", "default");
    }

    /** Requests of {@code model} that the device queue answered DEADLINE_EXCEEDED. */
    private static double expiredInQueue(String model) {
        return EndpointSupport.metric(
                fx,
                "modelmux_tenant_rejected_total",
                "model",
                model,
                "reason",
                "deadline_exceeded",
                "tenant",
                "default");
    }

    @Test
    void aRunningInferenceIsTerminatedAtItsDeadline() {
        // The spin model loops until ONNX Runtime stops it: a request on the idle device starts at once and is
        // still running at its deadline on any machine.
        ModelInferRequest req = spinRequest(1_000_000_000_000L).toBuilder()
                .putParameters(
                        "timeout",
                        InferParameter.newBuilder().setInt64Param(500_000).build())
                .build();
        OipClient.Reply<ModelInferResponse> r = fx.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, req);
        assertThat(r.status()).as(r.message()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
        assertThat(r.message())
                .isEqualTo("deadline exceeded while running on cpu0; ONNX Runtime terminated the inference");
        assertThat(fx.client
                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, spinRequest(3))
                        .ok()
                        .getOutputsCount())
                .isEqualTo(1);
    }

    @Test
    void badTimeoutsAreRejectedWithTheReason() {
        ModelInferRequest negative = fp32("mlp-b", "input", ramp(16, 1f), 1, 16).toBuilder()
                .putParameters(
                        "timeout", InferParameter.newBuilder().setInt64Param(-5).build())
                .build();
        OipClient.Reply<ModelInferResponse> r = fx.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, negative);
        assertThat(r.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(r.message()).contains("timeout").contains("positive");
        OipClient.Http h = fx.client.post("/v2/models/mlp-b/infer", "{\"inputs\":[]}", "x-modelmux-timeout-ms", "soon");
        assertThat(h.status()).isEqualTo(400);
        assertThat(h.body()).contains("x-modelmux-timeout-ms");
    }

    // ---- metrics ----

    @Test
    void tenantDeviceAndBatchMetricsAreExported() {
        fx.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("mlp-b", "input", ramp(16, 1f), 1, 16))
                .ok();
        String m = fx.client.getWithToken("/metrics").body();
        assertThat(m)
                .contains("modelmux_tenant_admitted_total{model=\"mlp-b\",tenant=\"default\"}")
                .contains("modelmux_tenant_requests_total{model=\"mlp-b\",outcome=\"success\",tenant=\"default\"}")
                .contains("modelmux_tenant_dispatched_total{model=\"mlp-b\",tenant=\"default\"}")
                .contains("modelmux_tenant_request_duration_seconds_bucket{tenant=\"default\"")
                .contains("modelmux_tenant_queue_wait_seconds_count{tenant=\"default\"}")
                .contains("modelmux_device_queue_depth{device=\"cpu0\"}")
                .contains("modelmux_device_in_flight{device=\"cpu0\"}")
                .contains("modelmux_device_concurrency_limit{device=\"cpu0\"}")
                .contains("modelmux_requests_in_flight")
                .contains("modelmux_batch_size_count{model=\"mlp-b\",version=\"1\"}");
        // The admin view of the tenant carries this node's latency and queue wait.
        OipClient.Http t = fx.client.getWithToken("/api/v1/tenants");
        assertThat(t.status()).as(t.body()).isEqualTo(200);
        JsonObject usage = new JsonObject(t.body())
                .getJsonArray("tenants")
                .getJsonObject(0)
                .getJsonObject("usage");
        assertThat(usage.getDouble("p99_ms")).isPositive();
        assertThat(usage.getDouble("p50_ms")).isPositive();
        assertThat(usage.containsKey("queue_wait_p99_ms")).isTrue();
        assertThat(usage.getJsonObject("rejected").fieldNames()).contains("rate", "in_flight");
    }

    // ---- helpers ----

    private static ModelInferRequest spinRequest(long iterations) {
        ModelInferRequest.Builder b = fp32("spin", "x", new float[] {1f}, 1).toBuilder();
        ByteBuffer n = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(iterations);
        b.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                .setName("n")
                .setDatatype("INT64")
                .addShape(1));
        b.addRawInputContents(ByteString.copyFrom(n.array()));
        return b.build();
    }

    private static ModelInferRequest plainRequest() {
        return fp32("plain", "input", ramp(PLAIN_WIDTH, 0.01f), 1, PLAIN_WIDTH);
    }

    private static String plainJson() {
        JsonArray data = new JsonArray();
        for (float f : ramp(PLAIN_WIDTH, 1f)) {
            data.add(f);
        }
        return new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("name", "input")
                                        .put("datatype", "FP32")
                                        .put("shape", List.of(1, PLAIN_WIDTH))
                                        .put("data", data)))
                .encode();
    }

    /** A MiniLM request of {@code rows} sequences of {@code seq} tokens, varied by {@code seed}. */
    static ModelInferRequest tokens(String model, int rows, int seq, int seed) {
        long[] ids = new long[rows * seq];
        long[] mask = new long[rows * seq];
        long[] types = new long[rows * seq];
        for (int r = 0; r < rows; r++) {
            for (int t = 0; t < seq; t++) {
                int i = r * seq + t;
                ids[i] = t == 0 ? 101 : t == seq - 1 ? 102 : 1000 + ((t + 1) * 37L * (seed + r + 1)) % 20000;
                mask[i] = 1;
            }
        }
        ModelInferRequest.Builder req = ModelInferRequest.newBuilder().setModelName(model);
        for (var e : List.of(
                Map.entry("input_ids", ids), Map.entry("attention_mask", mask), Map.entry("token_type_ids", types))) {
            ByteBuffer b = ByteBuffer.allocate(e.getValue().length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : e.getValue()) {
                b.putLong(v);
            }
            req.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(e.getKey())
                    .setDatatype("INT64")
                    .addShape(rows)
                    .addShape(seq));
            req.addRawInputContents(ByteString.copyFrom(b.array()));
        }
        return req.build();
    }

    private static ModelInferRequest withToken(ModelInferRequest req, long token) {
        ByteBuffer b = ByteBuffer.wrap(req.getRawInputContents(0).toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(8 * 3, token);
        return req.toBuilder()
                .setRawInputContents(0, ByteString.copyFrom(b.array()))
                .build();
    }

    /** MiniLM's outputs for {@code req} from a plain in-process session (one, opened on first use). */
    private static float[] referenceMiniLm(ModelInferRequest req, String output) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        if (minilmReference == null) {
            minilmReference = env.createSession(minilm, new OrtSession.SessionOptions());
        }
        long[] shape = {req.getInputs(0).getShape(0), req.getInputs(0).getShape(1)};
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            for (int i = 0; i < req.getInputsCount(); i++) {
                LongBuffer lb = req.getRawInputContents(i)
                        .asReadOnlyByteBuffer()
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .asLongBuffer();
                long[] v = new long[lb.remaining()];
                lb.get(v);
                in.put(req.getInputs(i).getName(), OnnxTensor.createTensor(env, LongBuffer.wrap(v), shape));
            }
            try (OrtSession.Result r = minilmReference.run(in)) {
                FloatBuffer fb = ((OnnxTensor) r.get(output).orElseThrow()).getFloatBuffer();
                float[] f = new float[fb.remaining()];
                fb.get(f);
                return f;
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** {sum, count} of a Prometheus summary for a model, from /metrics. */
    private static double[] summary(String name, String model) {
        String m = fx.client.getWithToken("/metrics").body();
        double[] out = new double[2];
        String[] parts = {"_sum", "_count"};
        for (int i = 0; i < 2; i++) {
            Matcher x = Pattern.compile(name + parts[i] + "\\{model=\"" + model + "\",version=\"1\"} ([0-9.eE+-]+)")
                    .matcher(m);
            assertThat(x.find())
                    .as(name + parts[i] + " for " + model + " in /metrics")
                    .isTrue();
            out[i] = Double.parseDouble(x.group(1));
        }
        return out;
    }
}
