package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import com.google.protobuf.ByteString;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferTensorContents;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.ModelMetadataRequest;
import dev.modelmux.node.oip.ModelMetadataResponse;
import dev.modelmux.node.oip.ModelReadyRequest;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import dev.modelmux.node.oip.RepositoryModelLoadRequest;
import dev.modelmux.node.oip.ServerLiveRequest;
import dev.modelmux.node.oip.ServerMetadataRequest;
import dev.modelmux.node.oip.ServerReadyRequest;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One real node on loopback, called over real gRPC and REST, running real ONNX models. */
class InferenceTest {
    @TempDir
    static Path tmp;

    static NodeFixture node;
    static OipClient client;
    static byte[] mlpA;

    @BeforeAll
    static void start() throws Exception {
        Path repo = tmp.resolve("repo");
        mlpA = TestRepo.mlpBytes(16, 4, 200_000, 7);
        new TestRepo(repo)
                .config("mlp-a", TestRepo.mlpConfig("mlp-a", 16, 4, 8))
                .file("mlp-a", 1, mlpA)
                .mlp("mlp-b", 1, 16, 4, 2_000_000, 11)
                .config("minilm-q", TestRepo.minilmConfig("minilm-q"))
                .copy("minilm-q", 1, TestRepo.minilmQ())
                .file("id-int8", 1, OnnxModelBuilder.identity(DataType.INT8, -1, 3))
                .file("id-bytes", 1, OnnxModelBuilder.identity(DataType.BYTES, -1))
                .file("id-fp16", 1, OnnxModelBuilder.identity(DataType.FP16, 2))
                .file("id-bool", 1, OnnxModelBuilder.identity(DataType.BOOL, 2));
        node = NodeFixture.start(repo, tmp.resolve("data"), 512L << 20, ControlMode.POLL);
        client = node.client;
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void serverHealthAndMetadata() {
        assertThat(client.call(GRPCInferenceServiceGrpcClient.ServerLive, ServerLiveRequest.getDefaultInstance())
                        .ok()
                        .getLive())
                .isTrue();
        assertThat(client.call(GRPCInferenceServiceGrpcClient.ServerReady, ServerReadyRequest.getDefaultInstance())
                        .ok()
                        .getReady())
                .isTrue();
        assertThat(client.call(
                                GRPCInferenceServiceGrpcClient.ServerMetadata,
                                ServerMetadataRequest.getDefaultInstance())
                        .ok()
                        .getName())
                .isEqualTo("modelmux");
        assertThat(client.get("/v2/health/live").status()).isEqualTo(200);
        assertThat(client.get("/v2/health/ready").status()).isEqualTo(200);
        assertThat(new JsonObject(client.get("/v2").body()).getString("name")).isEqualTo("modelmux");
    }

    @Test
    void modelMetadataComesFromTheConfigOrTheGraph() {
        ModelMetadataResponse m = client.call(
                        GRPCInferenceServiceGrpcClient.ModelMetadata,
                        ModelMetadataRequest.newBuilder().setName("mlp-a").build())
                .ok();
        assertThat(m.getVersionsList()).containsExactly("1");
        assertThat(m.getInputs(0).getName()).isEqualTo("input");
        assertThat(m.getInputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(m.getInputs(0).getShapeList()).containsExactly(-1L, 16L);
        assertThat(m.getOutputs(0).getShapeList()).containsExactly(-1L, 4L);
        // No config.pbtxt: derived from the ONNX graph.
        JsonObject derived = new JsonObject(client.get("/v2/models/id-int8").body());
        assertThat(derived.getJsonArray("inputs").getJsonObject(0).getString("datatype"))
                .isEqualTo("INT8");
        assertThat(derived.getJsonArray("inputs")
                        .getJsonObject(0)
                        .getJsonArray("shape")
                        .getList())
                .containsExactly(-1, 3);
    }

    @Test
    void miniLmOverGrpcEqualsInProcessOnnxRuntime() throws Exception {
        int tokens = 32;
        long[] ids = new long[tokens];
        long[] mask = new long[tokens];
        long[] types = new long[tokens];
        for (int i = 0; i < tokens; i++) {
            ids[i] = i == 0 ? 101 : i == tokens - 1 ? 102 : 1000 + (i * 37) % 20000;
            mask[i] = 1;
        }
        ModelInferRequest.Builder req =
                ModelInferRequest.newBuilder().setModelName("minilm-q").setId("q-1");
        for (var e : Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types)
                .entrySet()) {
            ByteBuffer b = ByteBuffer.allocate(tokens * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : e.getValue()) {
                b.putLong(v);
            }
            req.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(e.getKey())
                    .setDatatype("INT64")
                    .addShape(1)
                    .addShape(tokens));
            req.addRawInputContents(ByteString.copyFrom(b.array()));
        }
        ModelInferResponse r = client.call(GRPCInferenceServiceGrpcClient.ModelInfer, req.build())
                .ok();
        assertThat(r.getModelName()).isEqualTo("minilm-q");
        assertThat(r.getModelVersion()).isEqualTo("1");
        assertThat(r.getId()).isEqualTo("q-1");
        String output = r.getOutputs(0).getName();
        float[] got = floats(r, 0);
        long[] shape = {1, tokens};
        float[] want = Requests.reference(
                Files.readAllBytes(TestRepo.minilmQ()),
                Map.of(
                        "input_ids", env -> OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape),
                        "attention_mask", env -> OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape),
                        "token_type_ids", env -> OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape)),
                output);
        assertThat(got).hasSize(want.length).hasSizeGreaterThan(tokens);
        for (int i = 0; i < want.length; i++) {
            assertThat(got[i]).as("element %d", i).isCloseTo(want[i], within(1e-5f));
        }
    }

    @Test
    void mlpOverGrpcAndRestEqualsInProcess() throws Exception {
        float[] x = ramp(2 * 16, 1f);
        float[] want = Requests.reference(
                mlpA,
                Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {2, 16})),
                "output");
        float[] grpc = floats(
                client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("mlp-a", "input", x, 2, 16))
                        .ok(),
                0);
        assertThat(grpc).containsExactly(want, within(1e-6f));

        JsonArray data = new JsonArray();
        for (float f : x) {
            data.add(f);
        }
        JsonObject body = new JsonObject()
                .put("id", "r-1")
                .put(
                        "inputs",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("name", "input")
                                        .put("datatype", "FP32")
                                        .put("shape", new JsonArray().add(2).add(16))
                                        .put("data", data)));
        OipClient.Http http = client.post("/v2/models/mlp-a/infer", body.encode());
        assertThat(http.status()).as(http.body()).isEqualTo(200);
        JsonObject out = new JsonObject(http.body());
        assertThat(out.getString("model_version")).isEqualTo("1");
        assertThat(out.getString("id")).isEqualTo("r-1");
        JsonArray rest = out.getJsonArray("outputs").getJsonObject(0).getJsonArray("data");
        for (int i = 0; i < want.length; i++) {
            assertThat(rest.getDouble(i)).isCloseTo(want[i], within(1e-5));
        }
    }

    @Test
    void identityModelsRoundTripTypedAndRawData() {
        ModelInferRequest int8 = ModelInferRequest.newBuilder()
                .setModelName("id-int8")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("INT8")
                        .addShape(1)
                        .addShape(3)
                        .setContents(InferTensorContents.newBuilder()
                                .addIntContents(-128)
                                .addIntContents(0)
                                .addIntContents(127)))
                .build();
        ModelInferResponse r =
                client.call(GRPCInferenceServiceGrpcClient.ModelInfer, int8).ok();
        assertThat(r.getRawOutputContents(0).toByteArray()).containsExactly(-128, 0, 127);
        assertThat(r.getOutputs(0).getDatatype()).isEqualTo("INT8");

        ByteBuffer strings = ByteBuffer.allocate(4 + 3 + 4 + 0)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(3)
                .put("abc".getBytes())
                .putInt(0);
        ModelInferRequest bytes = ModelInferRequest.newBuilder()
                .setModelName("id-bytes")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                        .setName("input")
                        .setDatatype("BYTES")
                        .addShape(2))
                .addRawInputContents(ByteString.copyFrom(strings.array()))
                .build();
        assertThat(client.call(GRPCInferenceServiceGrpcClient.ModelInfer, bytes)
                        .ok()
                        .getRawOutputContents(0)
                        .toByteArray())
                .containsExactly(strings.array());

        OipClient.Http fp16 = client.post(
                "/v2/models/id-fp16/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP16\",\"shape\":[2],\"data\":[1.5,-0.25]}]}");
        assertThat(fp16.status()).as(fp16.body()).isEqualTo(200);
        assertThat(new JsonObject(fp16.body())
                        .getJsonArray("outputs")
                        .getJsonObject(0)
                        .getJsonArray("data")
                        .getList())
                .containsExactly(1.5, -0.25);
        OipClient.Http bool = client.post(
                "/v2/models/id-bool/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"BOOL\",\"shape\":[2],\"data\":[true,false]}]}");
        assertThat(new JsonObject(bool.body())
                        .getJsonArray("outputs")
                        .getJsonObject(0)
                        .getJsonArray("data")
                        .getList())
                .containsExactly(true, false);
    }

    @Test
    void concurrentFirstRequestsShareOneLoad() {
        List<Future<Reply<ModelInferResponse>>> calls = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            calls.add(node.node
                    .vertx()
                    .executeBlocking(
                            () -> client.call(
                                    GRPCInferenceServiceGrpcClient.ModelInfer,
                                    fp32("mlp-b", "input", ramp(16, 1f), 1, 16)),
                            false));
        }
        for (var c : calls) {
            assertThat(NodeFixture.await(c).ok().getModelName()).isEqualTo("mlp-b");
        }
        assertThat(client.getWithToken("/metrics").body())
                .containsPattern(
                        "modelmux_model_loads_total\\{model=\"mlp-b\",outcome=\"success\",version=\"1\"\\} 1\\.0");
    }

    @Test
    void badRequestsAreRejectedWithTheRightStatusAndTheNodeKeepsServing() {
        float[] x = ramp(16, 1f);
        Map<String, ModelInferRequest> invalid = new LinkedHashMap<>();
        invalid.put("byte size mismatch", fp32("mlp-a", "input", ramp(15, 1f), 1, 16));
        invalid.put(
                "wrong datatype",
                fp32("mlp-a", "input", x, 1, 16).toBuilder()
                        .setInputs(
                                0,
                                fp32("mlp-a", "input", x, 1, 16).getInputs(0).toBuilder()
                                        .setDatatype("FP64"))
                        .clearRawInputContents()
                        .addRawInputContents(ByteString.copyFrom(new byte[16 * 8]))
                        .build());
        invalid.put("wrong dims", fp32("mlp-a", "input", ramp(17, 1f), 1, 17));
        invalid.put("wrong rank", fp32("mlp-a", "input", x, 16));
        invalid.put("negative dim", fp32("mlp-a", "input", new float[0], -1, 16));
        invalid.put("overflowing dims", fp32("mlp-a", "input", new float[0], Long.MAX_VALUE / 2, 16));
        invalid.put("batch above max_batch_size", fp32("mlp-a", "input", ramp(9 * 16, 1f), 9, 16));
        invalid.put("unknown input", fp32("mlp-a", "inptu", x, 1, 16));
        invalid.put(
                "unknown output",
                fp32("mlp-a", "input", x, 1, 16).toBuilder()
                        .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                                .setName("nope"))
                        .build());
        invalid.put(
                "missing input",
                ModelInferRequest.newBuilder().setModelName("mlp-a").build());
        invalid.put(
                "bad version",
                fp32("mlp-a", "input", x, 1, 16).toBuilder()
                        .setModelVersion("../1")
                        .build());
        invalid.put("path-like model name", fp32("../../etc/passwd", "input", x, 1, 16));
        invalid.put("model name with slash", fp32("mlp-a/1", "input", x, 1, 16));
        invalid.put("hidden model name", fp32(".mlp-a", "input", x, 1, 16));
        invalid.put("empty model name", fp32("", "input", x, 1, 16));
        for (var e : invalid.entrySet()) {
            Reply<ModelInferResponse> r = client.call(GRPCInferenceServiceGrpcClient.ModelInfer, e.getValue());
            assertThat(r.status()).as(e.getKey() + ": " + r.message()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(r.message())
                    .as(e.getKey())
                    .isNotBlank()
                    .doesNotContain(tmp.toString())
                    .doesNotContain("Exception");
        }
        Reply<ModelInferResponse> missing =
                client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("no-such-model", "input", x, 1, 16));
        assertThat(missing.status()).isEqualTo(GrpcStatus.NOT_FOUND);
        Reply<ModelInferResponse> version = client.call(
                GRPCInferenceServiceGrpcClient.ModelInfer,
                fp32("mlp-a", "input", x, 1, 16).toBuilder()
                        .setModelVersion("7")
                        .build());
        assertThat(version.status()).isEqualTo(GrpcStatus.NOT_FOUND);

        assertThat(client.post("/v2/models/mlp-a/infer", "{not json").status()).isEqualTo(400);
        assertThat(client.post(
                                "/v2/models/mlp-a/infer",
                                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":[1]}]}")
                        .status())
                .isEqualTo(400);
        assertThat(client.post("/v2/models/..%2F..%2Fetc/infer", "{\"inputs\":[]}")
                        .status())
                .isEqualTo(400);
        assertThat(client.get("/v2/models/.hidden").status()).isEqualTo(400);
        assertThat(client.get("/v2/models/a%2Fb").status()).isEqualTo(400);
        // Vert.x resolves dot segments before routing: this is GET /v2/, server metadata, not a model.
        assertThat(client.get("/v2/models/%2e%2e").body()).doesNotContain("inputs");

        // Still serving everyone else.
        assertThat(floats(
                        client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("mlp-a", "input", x, 1, 16))
                                .ok(),
                        0))
                .hasSize(4);
    }

    @Test
    void oversizedMessagesAreRefusedBeforeDecoding() {
        int n = (int) ((NodeConfig.DEFAULT_MAX_MESSAGE_BYTES / 4) + 1024);
        ModelInferRequest huge = fp32("mlp-a", "input", new float[n], n / 16, 16);
        Reply<ModelInferResponse> r = client.call(GRPCInferenceServiceGrpcClient.ModelInfer, huge);
        assertThat(r.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
        String big = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":["
                + "0,".repeat(2 * n) + "0]}]}";
        assertThat(client.post("/v2/models/mlp-a/infer", big).status()).isEqualTo(413);
        assertThat(client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("mlp-a", "input", ramp(16, 1f), 1, 16))
                        .status())
                .isEqualTo(GrpcStatus.OK);
    }

    @Test
    void repositoryApiNeedsTheAdminToken() {
        RepositoryModelLoadRequest load =
                RepositoryModelLoadRequest.newBuilder().setModelName("mlp-a").build();
        assertThat(client.call(GRPCInferenceServiceGrpcClient.RepositoryModelLoad, load)
                        .status())
                .isEqualTo(GrpcStatus.UNAUTHENTICATED);
        assertThat(client.call(
                                GRPCInferenceServiceGrpcClient.RepositoryModelLoad,
                                load,
                                Map.of("authorization", "Bearer wrong-token-xxxxxxxx"))
                        .status())
                .isEqualTo(GrpcStatus.UNAUTHENTICATED);
        assertThat(client.call(
                                GRPCInferenceServiceGrpcClient.RepositoryModelLoad,
                                load,
                                Map.of("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN))
                        .status())
                .isEqualTo(GrpcStatus.OK);
        assertThat(client.call(
                                GRPCInferenceServiceGrpcClient.ModelReady,
                                ModelReadyRequest.newBuilder().setName("mlp-a").build())
                        .ok()
                        .getReady())
                .isTrue();
        assertThat(client.post("/v2/repository/models/mlp-a/load", "").status()).isEqualTo(401);
        assertThat(client.post("/v2/repository/models/mlp-a/unload", "", "authorization", "Bearer nope-nope-nope-nope")
                        .status())
                .isEqualTo(401);
        OipClient.Http ok = client.post(
                "/v2/repository/models/mlp-a/load", "", "authorization", "Bearer " + NodeFixture.ADMIN_TOKEN);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        OipClient.Http unknown = client.post(
                "/v2/repository/models/..%2Fx/load", "", "authorization", "Bearer " + NodeFixture.ADMIN_TOKEN);
        assertThat(unknown.status()).isEqualTo(400);
    }

    @Test
    void indexShowsStatesReasonsAndHashesAndMetricsAreExported() {
        client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("mlp-a", "input", ramp(16, 1f), 1, 16))
                .ok();
        RepositoryIndexResponse idx = client.call(
                        GRPCInferenceServiceGrpcClient.RepositoryIndex, RepositoryIndexRequest.getDefaultInstance())
                .ok();
        RepositoryIndexResponse.ModelIndex a = idx.getModelsList().stream()
                .filter(m -> m.getName().equals("mlp-a"))
                .findFirst()
                .orElseThrow();
        assertThat(a.getState()).isEqualTo("READY");
        assertThat(a.getSha256()).matches("[0-9a-f]{64}");
        String metrics = client.getWithToken("/metrics").body();
        assertThat(metrics)
                .contains("modelmux_inference_requests_total{")
                .contains("model=\"mlp-a\"")
                .contains("modelmux_device_memory_capacity_bytes{")
                .contains("modelmux_device_memory_used_bytes{")
                .contains("modelmux_model_loads_total{")
                .contains("modelmux_inference_request_duration_seconds_bucket");
        JsonObject rest = new JsonObject("{\"a\":"
                + client.post("/v2/repository/index", "{\"ready\":true}").body() + "}");
        assertThat(rest.getJsonArray("a").stream().map(o -> ((JsonObject) o).getString("state")))
                .containsOnly("READY");
    }
}
