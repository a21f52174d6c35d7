package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.catalog.ModelReadiness;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.OnnxModelBuilder.Passthrough;
import dev.modelmux.repo.config.ModelConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP side of Triton's protocol extensions, spoken byte for byte as {@code tritonclient.http}
 * sends it (its {@code _utils._get_inference_request} and {@code _infer_input}): binary tensor data in
 * both directions with FP32, INT64 and BYTES tensors, mixed with JSON data; compressed bodies; the
 * model configuration; statistics; readiness of a model not loaded yet; and every way the binary layout
 * can be wrong, each refused with a 4xx naming the problem while the node keeps serving.
 */
class TritonHttpTest {
    private static final String HEADER_LENGTH = "Inference-Header-Content-Length";

    @TempDir
    static Path tmp;

    static NodeFixture node;
    static HttpClient http;

    @BeforeAll
    static void start() {
        Path repo = tmp.resolve("repo");
        new TestRepo(repo)
                .file(
                        "mix",
                        1,
                        OnnxModelBuilder.identities(
                                new Passthrough("fp32_in", "fp32_out", DataType.FP32, -1, 4),
                                new Passthrough("int64_in", "int64_out", DataType.INT64, -1, 3),
                                new Passthrough("bytes_in", "bytes_out", DataType.BYTES, -1)))
                .mlp("mlp", 1, 16, 4, 20_000, 5)
                .config("full", FULL_CONFIG)
                .extra("full", "labels.txt", "zero\none\ntwo\nthree\n")
                .file("full", 1, TestRepo.mlpBytes(16, 4, 20_000, 6))
                .file("full", 2, TestRepo.mlpBytes(16, 4, 20_000, 7));
        node = NodeFixture.start(repo, tmp.resolve("data"), 256L << 20, ControlMode.POLL);
        http = HttpClient.newHttpClient();
    }

    /** A config with every field the repository accepts for an ONNX model. */
    static final String FULL_CONFIG = String.join(
            "\n",
            "name: \"full\"",
            "platform: \"onnxruntime_onnx\"",
            "backend: \"onnxruntime\"",
            "max_batch_size: 8",
            "version_policy { specific { versions: [1, 2] } }",
            "input [ { name: \"input\" data_type: TYPE_FP32 dims: [ 16 ] } ]",
            "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 4 ] label_filename: \"labels.txt\" } ]",
            "instance_group [ { name: \"cpu\" count: 2 kind: KIND_CPU } ]",
            "dynamic_batching { preferred_batch_size: [ 4, 8 ] max_queue_delay_microseconds: 100"
                    + " priority_levels: 2 default_priority_level: 1"
                    + " default_queue_policy { timeout_action: REJECT default_timeout_microseconds: 5000000"
                    + " allow_timeout_override: true max_queue_size: 64 } }",
            "parameters { key: \"memory_bytes\" value: { string_value: \"4000000\" } }",
            "parameters { key: \"min_copies\" value: { string_value: \"1\" } }",
            "parameters { key: \"max_copies\" value: { string_value: \"2\" } }",
            "model_warmup [ { name: \"zeros\" batch_size: 1 inputs { key: \"input\" value: {"
                    + " data_type: TYPE_FP32 dims: [ 16 ] zero_data: true } } } ]");

    @AfterAll
    static void stop() {
        node.close();
    }

    // ---------------------------------------------------------------- binary tensor data

    @Test
    void binaryInputsOfThreeTypesAndBinaryOutputsAsTritonclientSendsThem() throws Exception {
        float[] f = {1.5f, -2f, 3.25f, 4f, 5f, 6f, 7f, 8.5f};
        long[] l = {1, -2, 3, Long.MAX_VALUE, 5, 6};
        List<byte[]> s = List.of("héllo".getBytes(StandardCharsets.UTF_8), new byte[0]);
        byte[] fb = fp32(f);
        byte[] lb = int64(l);
        byte[] sb = bytes(s);
        JsonObject header = new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(binaryInput("fp32_in", "FP32", fb.length, 2, 4))
                                .add(binaryInput("int64_in", "INT64", lb.length, 2, 3))
                                .add(binaryInput("bytes_in", "BYTES", sb.length, 2)))
                .put("parameters", new JsonObject().put("binary_data_output", true));
        Reply r = post("/v2/models/mix/infer", tritonBody(header, fb, lb, sb), HEADER_LENGTH, len(header));

        assertThat(r.status).as(r.text()).isEqualTo(200);
        assertThat(r.header("content-type")).isEqualTo("application/octet-stream");
        int n = Integer.parseInt(r.header(HEADER_LENGTH));
        JsonObject json = new JsonObject(new String(r.body, 0, n, StandardCharsets.UTF_8));
        JsonArray outs = json.getJsonArray("outputs");
        assertThat(outs).hasSize(3);
        byte[] rest = Arrays.copyOfRange(r.body, n, r.body.length);
        int at = 0;
        byte[][] expected = {fb, lb, sb};
        for (int i = 0; i < 3; i++) {
            JsonObject o = outs.getJsonObject(i);
            assertThat(o.containsKey("data")).isFalse();
            int size = o.getJsonObject("parameters").getInteger("binary_data_size");
            assertThat(Arrays.copyOfRange(rest, at, at + size)).isEqualTo(expected[i]);
            at += size;
        }
        assertThat(at).isEqualTo(rest.length);
        assertThat(outs.getJsonObject(2).getJsonArray("shape")).containsExactly(2);
    }

    @Test
    void mixedBinaryAndJsonInputsAndPerOutputChoice() throws Exception {
        float[] f = {1, 2, 3, 4};
        byte[] fb = fp32(f);
        JsonObject header = new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(binaryInput("fp32_in", "FP32", fb.length, 1, 4))
                                .add(new JsonObject()
                                        .put("name", "int64_in")
                                        .put("datatype", "INT64")
                                        .put("shape", new JsonArray().add(1).add(3))
                                        .put(
                                                "data",
                                                new JsonArray().add(7).add(8).add(9)))
                                .add(new JsonObject()
                                        .put("name", "bytes_in")
                                        .put("datatype", "BYTES")
                                        .put("shape", new JsonArray().add(1))
                                        .put("data", new JsonArray().add("x"))))
                .put(
                        "outputs",
                        new JsonArray()
                                .add(output("int64_out", true))
                                .add(output("fp32_out", false))
                                .add(new JsonObject().put("name", "bytes_out")));
        Reply r = post("/v2/models/mix/infer", tritonBody(header, fb), HEADER_LENGTH, len(header));

        assertThat(r.status).as(r.text()).isEqualTo(200);
        int n = Integer.parseInt(r.header(HEADER_LENGTH));
        JsonArray outs = new JsonObject(new String(r.body, 0, n, StandardCharsets.UTF_8)).getJsonArray("outputs");
        assertThat(outs.getJsonObject(0).getJsonObject("parameters").getInteger("binary_data_size"))
                .isEqualTo(24);
        assertThat(Arrays.copyOfRange(r.body, n, r.body.length)).isEqualTo(int64(new long[] {7, 8, 9}));
        assertThat(outs.getJsonObject(1).getJsonArray("data")).containsExactly(1.0, 2.0, 3.0, 4.0);
        assertThat(outs.getJsonObject(2).getJsonArray("data")).containsExactly("x");
    }

    @Test
    void jsonOnlyRequestsStillGetJson() throws Exception {
        Reply r = post("/v2/models/mlp/infer", mlpJson().encode().getBytes(StandardCharsets.UTF_8));
        assertThat(r.status).as(r.text()).isEqualTo(200);
        assertThat(r.header(HEADER_LENGTH)).isNull();
        assertThat(new JsonObject(r.text())
                        .getJsonArray("outputs")
                        .getJsonObject(0)
                        .getJsonArray("data"))
                .hasSize(4);
    }

    @Test
    void gzipAndDeflateBodiesAreAcceptedAndResponsesCompressedWhenAsked() throws Exception {
        byte[] plain = mlpJson().encode().getBytes(StandardCharsets.UTF_8);
        Reply gz = post("/v2/models/mlp/infer", gzip(plain), "Content-Encoding", "gzip", "Accept-Encoding", "gzip");
        assertThat(gz.status).isEqualTo(200);
        assertThat(gz.header("content-encoding")).isEqualTo("gzip");
        JsonObject out = new JsonObject(new String(gunzip(gz.body), StandardCharsets.UTF_8));
        assertThat(out.getJsonArray("outputs").getJsonObject(0).getJsonArray("data"))
                .hasSize(4);

        Reply df = post("/v2/models/mlp/infer", deflate(plain), "Content-Encoding", "deflate");
        assertThat(df.status).as(df.text()).isEqualTo(200);

        // A binary request compressed as a whole, as tritonclient does with request_compression_algorithm.
        byte[] fb = fp32(new float[16]);
        JsonObject header = new JsonObject()
                .put("inputs", new JsonArray().add(binaryInput("input", "FP32", fb.length, 1, 16)))
                .put("parameters", new JsonObject().put("binary_data_output", true));
        Reply bin = post(
                "/v2/models/mlp/infer",
                gzip(tritonBody(header, fb)),
                HEADER_LENGTH,
                len(header),
                "Content-Encoding",
                "gzip");
        assertThat(bin.status).as(bin.text()).isEqualTo(200);
        assertThat(bin.header(HEADER_LENGTH)).isNotNull();

        // Errors stay readable JSON even when the client accepts gzip.
        Reply err = post("/v2/models/nope/infer", gzip(plain), "Content-Encoding", "gzip", "Accept-Encoding", "gzip");
        assertThat(err.status).isEqualTo(404);
        assertThat(err.header("content-encoding")).isIn(null, "identity");
        assertThat(new JsonObject(err.text()).getString("error")).contains("nope");
    }

    @Test
    void everyWrongBinaryLayoutIsRefusedNamingTheProblem() throws Exception {
        byte[] fb = fp32(new float[16]);
        JsonObject header =
                new JsonObject().put("inputs", new JsonArray().add(binaryInput("input", "FP32", fb.length, 1, 16)));
        byte[] body = tritonBody(header, fb);
        String n = len(header);

        assertBad(
                post("/v2/models/mlp/infer", Arrays.copyOf(body, body.length - 1), HEADER_LENGTH, n),
                400,
                "binary_data_size 64 but only 63 bytes");
        byte[] longer = Arrays.copyOf(body, body.length + 5);
        assertBad(post("/v2/models/mlp/infer", longer, HEADER_LENGTH, n), 400, "5 bytes of binary data");
        assertBad(post("/v2/models/mlp/infer", body, HEADER_LENGTH, "-1"), 400, "must be a non-negative integer");
        assertBad(
                post("/v2/models/mlp/infer", body, HEADER_LENGTH, "99999999999999999999"),
                400,
                "must be a non-negative integer");
        assertBad(
                post("/v2/models/mlp/infer", body, HEADER_LENGTH, Integer.toString(body.length + 1)),
                400,
                "is longer than the body");
        assertBad(post("/v2/models/mlp/infer", body, HEADER_LENGTH, "7"), 400, "are not a JSON object");
        assertBad(post("/v2/models/mlp/infer", body), 400, "not a JSON object");

        JsonObject wrongSize =
                new JsonObject().put("inputs", new JsonArray().add(binaryInput("input", "FP32", 60, 1, 16)));
        assertBad(
                post("/v2/models/mlp/infer", tritonBody(wrongSize, new byte[60]), HEADER_LENGTH, len(wrongSize)),
                400,
                "binary_data_size 60 does not match its shape [1, 16] of FP32 (64 bytes)");
        JsonObject badBytes = new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(binaryInput("fp32_in", "FP32", 16, 1, 4))
                                .add(binaryInput("int64_in", "INT64", 24, 1, 3))
                                .add(binaryInput("bytes_in", "BYTES", 6, 1)));
        assertBad(
                post(
                        "/v2/models/mix/infer",
                        tritonBody(badBytes, new byte[16], new byte[24], new byte[] {9, 0, 0, 0, 1, 2}),
                        HEADER_LENGTH,
                        len(badBytes)),
                400,
                "BYTES element 0 declares 9 bytes");
        JsonObject both = new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(binaryInput("input", "FP32", 64, 1, 16).put("data", new JsonArray())));
        assertBad(
                post("/v2/models/mlp/infer", tritonBody(both, fb), HEADER_LENGTH, len(both)),
                400,
                "both 'data' and the parameter binary_data_size");

        // A gzip bomb: 200 KB that inflates past the 64 MiB message limit.
        assertBad(
                post("/v2/models/mlp/infer", gzip(new byte[65 << 20]), "Content-Encoding", "gzip"),
                413,
                "inflates past the server's maximum");
        assertBad(
                post("/v2/models/mlp/infer", "not gzip".getBytes(StandardCharsets.UTF_8), "Content-Encoding", "gzip"),
                400,
                "not valid gzip data");
        assertBad(post("/v2/models/mlp/infer", body, "Content-Encoding", "br"), 400, "is not supported");

        // The node serves on.
        assertThat(post("/v2/models/mlp/infer", mlpJson().encode().getBytes(StandardCharsets.UTF_8)).status)
                .isEqualTo(200);
    }

    // ---------------------------------------------------------------- configuration, readiness, statistics

    @Test
    void modelConfigurationRoundTripsEveryFieldTheRepositoryAccepts() throws Exception {
        Reply r = get("/v2/models/full/config");
        assertThat(r.status).as(r.text()).isEqualTo(200);
        JsonObject json = new JsonObject(r.text());
        assertThat(json.getInteger("max_batch_size")).isEqualTo(8);
        assertThat(json.getJsonArray("input").getJsonObject(0).getJsonArray("dims"))
                .containsExactly(16);
        assertThat(json.getJsonArray("input").getJsonObject(0).getString("data_type"))
                .isEqualTo("TYPE_FP32");
        ModelConfig.Builder parsed = ModelConfig.newBuilder();
        JsonFormat.parser().merge(r.text(), parsed);
        ModelConfig declared = ModelConfigs.parse("full", "config.pbtxt", FULL_CONFIG);
        assertThat(parsed.build()).isEqualTo(declared);
        assertThat(get("/v2/models/full/versions/2/config").status).isEqualTo(200);
        assertThat(get("/v2/models/full/versions/3/config").status).isEqualTo(404);
        assertThat(get("/v2/models/nope/config").status).isEqualTo(404);

        // A model without config.pbtxt: the configuration derived from its graph.
        JsonObject derived = new JsonObject(get("/v2/models/mix/config").text());
        assertThat(derived.getString("name")).isEqualTo("mix");
        assertThat(derived.getString("platform")).isEqualTo("onnxruntime_onnx");
        assertThat(derived.getJsonArray("input")).hasSize(3);
    }

    @Test
    void aModelIsReadyBeforeItsFirstLoadAndUnknownModelsAreNot() throws Exception {
        assertThat(get("/v2/models/full/ready").status).isEqualTo(200);
        assertThat(get("/v2/models/full/versions/1/ready").status).isEqualTo(200);
        assertThat(get("/v2/models/full/versions/9/ready").status).isEqualTo(400);
        Reply unknown = get("/v2/models/no-such-model/ready");
        assertThat(unknown.status).isEqualTo(400);
        assertThat(new JsonObject(unknown.text()).getBoolean("ready")).isFalse();
    }

    @Test
    void strictReadinessMeansLoadedOnThisNode() throws Exception {
        NodeConfig strict = NodeFixture.config(tmp.resolve("repo"), tmp.resolve("strict"), 256L << 20, ControlMode.POLL)
                .withServing(ServingOptions.defaults().withReadiness(ModelReadiness.LOADED));
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(strict)))) {
            assertThat(f.client.get("/v2/models/mlp/ready").status()).isEqualTo(400);
            assertThat(f.client.post("/v2/models/mlp/infer", mlpJson().encode()).status())
                    .isEqualTo(200);
            assertThat(f.client.get("/v2/models/mlp/ready").status()).isEqualTo(200);
        }
    }

    @Test
    void unimplementedExtensionsAreRefusedClearly() throws Exception {
        Reply shm = get("/v2/systemsharedmemory/status");
        assertThat(shm.status).isEqualTo(501);
        assertThat(new JsonObject(shm.text()).getString("error")).contains("shared-memory");
        assertThat(get("/v2/trace/setting").status).isEqualTo(501);
    }

    @Test
    void serverMetadataListsExactlyTheImplementedExtensions() throws Exception {
        JsonObject meta = new JsonObject(get("/v2").text());
        assertThat(meta.getJsonArray("extensions"))
                .containsExactlyInAnyOrder(
                        "model_repository",
                        "model_configuration",
                        "binary_tensor_data",
                        "statistics",
                        "schedule_policy",
                        "parameters",
                        "classification");
    }

    @Test
    void statisticsCountRequestsExecutionsAndTime() throws Exception {
        JsonObject before = new JsonObject(
                        get("/v2/models/full/versions/2/stats").text())
                .getJsonArray("model_stats")
                .getJsonObject(0);
        JsonObject req = mlpJson();
        req.getJsonArray("inputs")
                .getJsonObject(0)
                .put("shape", new JsonArray().add(2).add(16))
                .put(
                        "data",
                        new JsonArray(Arrays.asList(new Object[32]).stream()
                                .map(x -> (Object) 0.5)
                                .toList()));
        for (int i = 0; i < 3; i++) {
            assertThat(post("/v2/models/full/infer", req.encode().getBytes(StandardCharsets.UTF_8)).status)
                    .isEqualTo(200);
        }
        JsonObject s = new JsonObject(get("/v2/models/full/versions/2/stats").text())
                .getJsonArray("model_stats")
                .getJsonObject(0);
        assertThat(s.getString("name")).isEqualTo("full");
        assertThat(s.getString("version")).isEqualTo("2");
        assertThat(s.getLong("inference_count") - before.getLong("inference_count"))
                .isEqualTo(6);
        JsonObject success = s.getJsonObject("inference_stats").getJsonObject("success");
        assertThat(success.getLong("count")
                        - before.getJsonObject("inference_stats")
                                .getJsonObject("success")
                                .getLong("count"))
                .isEqualTo(3);
        assertThat(success.getLong("ns")).isPositive();
        assertThat(s.getLong("execution_count")).isBetween(1L, s.getLong("inference_count"));
        assertThat(s.getJsonArray("batch_stats")).isNotEmpty();
        assertThat(s.getLong("last_inference")).isPositive();
        // Both served versions are listed for the model, all models for /v2/models/stats.
        assertThat(new JsonObject(get("/v2/models/full/stats").text()).getJsonArray("model_stats"))
                .hasSize(2);
        assertThat(new JsonObject(get("/v2/models/stats").text())
                        .getJsonArray("model_stats").stream().map(o -> ((JsonObject) o).getString("name")))
                .contains("full");
        assertThat(get("/v2/models/nope/stats").status).isEqualTo(404);
    }

    // ---------------------------------------------------------------- helpers

    static JsonObject binaryInput(String name, String type, long size, long... shape) {
        JsonArray s = new JsonArray();
        for (long d : shape) {
            s.add(d);
        }
        return new JsonObject()
                .put("name", name)
                .put("shape", s)
                .put("datatype", type)
                .put("parameters", new JsonObject().put("binary_data_size", size));
    }

    static JsonObject output(String name, boolean binary) {
        return new JsonObject().put("name", name).put("parameters", new JsonObject().put("binary_data", binary));
    }

    static JsonObject mlpJson() {
        JsonArray data = new JsonArray();
        for (int i = 0; i < 16; i++) {
            data.add(i * 0.1);
        }
        return new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("name", "input")
                                        .put("datatype", "FP32")
                                        .put("shape", new JsonArray().add(1).add(16))
                                        .put("data", data)));
    }

    /** The JSON header followed by the tensors' bytes, as tritonclient.http builds a request body. */
    static byte[] tritonBody(JsonObject header, byte[]... tensors) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header.encode().getBytes(StandardCharsets.UTF_8));
        for (byte[] t : tensors) {
            out.write(t);
        }
        return out.toByteArray();
    }

    static String len(JsonObject header) {
        return Integer.toString(header.encode().getBytes(StandardCharsets.UTF_8).length);
    }

    static byte[] fp32(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    static byte[] int64(long[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    /** Triton's BYTES serialization: a 4-byte little-endian length before each element. */
    static byte[] bytes(List<byte[]> strings) {
        int n = strings.stream().mapToInt(s -> 4 + s.length).sum();
        ByteBuffer b = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        strings.forEach(s -> b.putInt(s.length).put(s));
        return b.array();
    }

    static byte[] gzip(byte[] plain) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    static byte[] deflate(byte[] plain) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (DeflaterOutputStream z = new DeflaterOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    static byte[] gunzip(byte[] b) throws Exception {
        try (GZIPInputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(b))) {
            return in.readAllBytes();
        }
    }

    record Reply(int status, byte[] body, java.net.http.HttpHeaders headers) {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static Reply post(String path, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.node.httpPort() + path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.body(), r.headers());
    }

    static Reply get(String path) throws Exception {
        HttpResponse<byte[]> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.node.httpPort() + path))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.body(), r.headers());
    }

    static void assertBad(Reply r, int status, String message) {
        assertThat(r.status).as("status of a bad request: %s", r.text()).isEqualTo(status);
        assertThat(r.header("content-encoding")).isIn(null, "identity");
        assertThat(new JsonObject(r.text()).getString("error")).contains(message);
    }
}
