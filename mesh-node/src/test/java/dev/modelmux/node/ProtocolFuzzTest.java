package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import com.google.protobuf.ByteString;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferTensorContents;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelMetadataRequest;
import dev.modelmux.node.oip.ModelReadyRequest;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded mutation fuzzer over both protocols against a real node: random bytes, truncations and
 * bit flips of valid gRPC messages on every unary method, and the same plus JSON type confusion on
 * the REST bodies. Every call must be answered (a hang shows as the client's own deadline passing),
 * with a 4xx/non-server-fault status and a message that carries no stack trace or internal path;
 * afterwards the node still answers correctly. Latencies are printed, never asserted.
 */
class ProtocolFuzzTest {
    private static final long SEED = 0x5EED_2026_1204L;
    private static final int GRPC_CALLS = 1200;
    private static final int REST_CALLS = 1200;
    private static final int IN_FLIGHT = 32;
    /**
     * A call the node leaves unanswered this long is a hang, not a slow answer: far beyond any answer
     * on a loaded machine (the answers take milliseconds).
     */
    private static final long HANG_MS = NodeFixture.PATIENCE.toMillis();
    /** What an error message must never carry: stack frames, class names, paths, internal packages. */
    private static final Pattern LEAK = Pattern.compile(
            "(\\bat [a-z]\\w*\\.[a-z]\\w*\\.)|(\\.java:\\d+)|([A-Z]\\w*(Exception|Error)\\b)|(/tmp/|/work/|/root/|/home/|file:/)"
                    + "|(dev\\.modelmux|io\\.vertx|io\\.netty|com\\.google|ai\\.onnxruntime|com\\.fasterxml)");

    @TempDir
    static Path tmp;

    static NodeFixture node;
    static GrpcClient raw;
    static SocketAddress grpcAddress;
    static HttpClient http;
    static byte[] mlp;

    @BeforeAll
    static void start() {
        Path repo = tmp.resolve("repo");
        mlp = TestRepo.mlpBytes(16, 4, 50_000, 3);
        new TestRepo(repo)
                .config("m", TestRepo.mlpConfig("m", 16, 4, 8))
                .file("m", 1, mlp)
                .file("id-bytes", 1, OnnxModelBuilder.identity(DataType.BYTES, -1))
                .file("id-int64", 1, OnnxModelBuilder.identity(DataType.INT64, -1, 3));
        node = NodeFixture.start(repo, tmp.resolve("data"), 256L << 20, ControlMode.POLL);
        raw = GrpcClient.client(node.node.vertx(), new GrpcClientOptions().setMaxMessageSize(64L << 20));
        grpcAddress = SocketAddress.inetSocketAddress(node.node.grpcPort(), "127.0.0.1");
        http = HttpClient.newBuilder().connectTimeout(NodeFixture.PATIENCE).build();
    }

    @AfterAll
    static void stop() {
        if (raw != null) {
            NodeFixture.await(raw.close());
        }
        if (node != null) {
            node.close();
        }
    }

    @AfterEach
    void nodeStillServesCorrectly() throws Exception {
        float[] x = ramp(16, 1f);
        float[] got = floats(
                node.client
                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                        .ok(),
                0);
        float[] want = Requests.reference(
                mlp, Map.of("input", env -> OnnxTensor.createTensor(env, new float[][] {x})), "output");
        assertThat(got).containsExactly(want, within(1e-5f));
        assertThat(node.client.get("/v2/health/live").status()).isEqualTo(200);
    }

    // ------------------------------------------------------------------ gRPC

    @Test
    void fiveHundredUndecodableCallsAtOnceAreAllAnsweredInvalidArgument() {
        byte[] valid = validInfer().toByteArray();
        List<byte[]> bad = new ArrayList<>();
        Random rnd = new Random(SEED);
        for (int i = 0; i < 500; i++) {
            switch (i % 3) {
                case 0 ->
                    bad.add(Arrays.copyOf(valid, valid.length - 1 - rnd.nextInt(40))); // cut inside the raw contents
                case 1 -> { // tag zero: never valid protobuf
                    byte[] b = new byte[8];
                    rnd.nextBytes(b);
                    b[0] = 0;
                    bad.add(b);
                }
                default -> bad.add(new byte[] {0x0a, (byte) 0xff, (byte) 0xff, 0x7f, 'm'}); // a length past the end
            }
        }
        double before = undecodableCount("ModelInfer");
        List<Future<Answer>> calls = new ArrayList<>();
        for (byte[] b : bad) {
            calls.add(send("inference.GRPCInferenceService", "ModelInfer", b));
        }
        List<Answer> answers = calls.stream().map(NodeFixture::await).toList();
        for (Answer a : answers) {
            assertThat(a.status).as("an undecodable ModelInfer (%s)", a.message).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            assertThat(a.message).contains("could not be decoded");
            assertClean(a.message);
        }
        assertThat(undecodableCount("ModelInfer") - before).isEqualTo(500);
        print(
                "500 undecodable ModelInfer at once",
                answers.stream().mapToLong(a -> a.micros).toArray());
    }

    @Test
    void seededMutationsOfEveryUnaryMethodAreAnsweredCleanly() {
        List<Seed> seeds = List.of(
                new Seed(
                        "inference.GRPCInferenceService",
                        "ModelInfer",
                        validInfer().toByteArray()),
                new Seed(
                        "inference.GRPCInferenceService",
                        "ModelInfer",
                        typedInfer().toByteArray()),
                new Seed(
                        "inference.GRPCInferenceService",
                        "ModelInfer",
                        bytesInfer().toByteArray()),
                new Seed(
                        "inference.GRPCInferenceService",
                        "ModelMetadata",
                        ModelMetadataRequest.newBuilder().setName("m").build().toByteArray()),
                new Seed(
                        "inference.GRPCInferenceService",
                        "ModelReady",
                        ModelReadyRequest.newBuilder()
                                .setName("m")
                                .setVersion("1")
                                .build()
                                .toByteArray()),
                new Seed(
                        "inference.GRPCInferenceService",
                        "RepositoryIndex",
                        RepositoryIndexRequest.newBuilder()
                                .setReady(true)
                                .build()
                                .toByteArray()),
                new Seed("inference.GRPCInferenceService", "ServerMetadata", new byte[0]),
                new Seed(
                        "modelmux.v1.Decisions",
                        "Decide",
                        DecideRequest.newBuilder()
                                .setRequestId("r-1")
                                .setEntityId("u-1")
                                .setModelName("example")
                                .addFeatureRefs("amount")
                                .putContext("region", "eu")
                                .build()
                                .toByteArray()));
        Random rnd = new Random(SEED + 1);
        Semaphore window = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<Answer>> calls = new ArrayList<>();
        for (int i = 0; i < GRPC_CALLS; i++) {
            Seed s = seeds.get(rnd.nextInt(seeds.size()));
            byte[] body = mutate(s.bytes, rnd);
            window.acquireUninterruptibly();
            CompletableFuture<Answer> f =
                    send(s.service, s.method, body).toCompletionStage().toCompletableFuture();
            f.whenComplete((a, e) -> window.release());
            calls.add(f.thenApply(a -> a.withWhat(s.method + " " + hex(body))));
        }
        List<Answer> answers = calls.stream().map(CompletableFuture::join).toList();
        for (Answer a : answers) {
            assertThat(a.status)
                    .as("%s answered with %s: %s", a.what, a.status, a.message)
                    .isNotNull()
                    .isNotIn(
                            GrpcStatus.INTERNAL,
                            GrpcStatus.UNKNOWN,
                            GrpcStatus.DEADLINE_EXCEEDED,
                            GrpcStatus.UNIMPLEMENTED);
            if (a.status != GrpcStatus.OK) {
                assertClean(a.message);
            }
        }
        print(
                GRPC_CALLS + " mutated gRPC calls",
                answers.stream().mapToLong(a -> a.micros).toArray());
    }

    // ------------------------------------------------------------------ REST

    @Test
    void seededMutationsOfRestBodiesAreAnsweredCleanly() {
        List<RestSeed> seeds = List.of(
                new RestSeed(
                        "/v2/models/m/infer",
                        new JsonObject()
                                .put("id", "r1")
                                .put(
                                        "inputs",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("name", "input")
                                                        .put("datatype", "FP32")
                                                        .put(
                                                                "shape",
                                                                new JsonArray()
                                                                        .add(1)
                                                                        .add(16))
                                                        .put(
                                                                "data",
                                                                new JsonArray(Arrays.stream(new double[16])
                                                                        .boxed()
                                                                        .map(d -> (Object) 0.5)
                                                                        .toList()))))),
                new RestSeed(
                        "/v2/models/id-int64/infer",
                        new JsonObject()
                                .put(
                                        "inputs",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("name", "input")
                                                        .put("datatype", "INT64")
                                                        .put(
                                                                "shape",
                                                                new JsonArray()
                                                                        .add(2)
                                                                        .add(3))
                                                        .put(
                                                                "data",
                                                                new JsonArray()
                                                                        .add(1)
                                                                        .add(2)
                                                                        .add(3)
                                                                        .add(4)
                                                                        .add(5)
                                                                        .add(6))))
                                .put("outputs", new JsonArray().add(new JsonObject().put("name", "output")))),
                new RestSeed(
                        "/v2/models/id-bytes/infer",
                        new JsonObject()
                                .put(
                                        "inputs",
                                        new JsonArray()
                                                .add(new JsonObject()
                                                        .put("name", "input")
                                                        .put("datatype", "BYTES")
                                                        .put("shape", new JsonArray().add(2))
                                                        .put(
                                                                "data",
                                                                new JsonArray()
                                                                        .add("hello")
                                                                        .add("world"))))),
                new RestSeed(
                        "/api/v1/decide",
                        new JsonObject()
                                .put("request_id", "r-1")
                                .put("entity_id", "u-1")
                                .put("model_name", "example")
                                .put("context", new JsonObject().put("region", "eu"))),
                new RestSeed("/v2/repository/index", new JsonObject().put("ready", true)));
        Random rnd = new Random(SEED + 2);
        Semaphore window = new Semaphore(IN_FLIGHT);
        List<CompletableFuture<RestAnswer>> calls = new ArrayList<>();
        for (int i = 0; i < REST_CALLS; i++) {
            RestSeed s = seeds.get(rnd.nextInt(seeds.size()));
            byte[] body = rnd.nextInt(3) == 0
                    ? confuse(s.body, rnd).encode().getBytes(StandardCharsets.UTF_8)
                    : mutate(s.body.encode().getBytes(StandardCharsets.UTF_8), rnd);
            window.acquireUninterruptibly();
            long start = System.nanoTime();
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.node.httpPort() + s.path))
                    .timeout(Duration.ofMillis(HANG_MS))
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            CompletableFuture<RestAnswer> f = http.sendAsync(req, HttpResponse.BodyHandlers.ofString())
                    .handle((r, e) -> new RestAnswer(
                            s.path + " " + new String(body, StandardCharsets.UTF_8),
                            r == null ? -1 : r.statusCode(),
                            r == null ? String.valueOf(e) : r.body(),
                            (System.nanoTime() - start) / 1000));
            f.whenComplete((a, e) -> window.release());
            calls.add(f);
        }
        List<RestAnswer> answers = calls.stream().map(CompletableFuture::join).toList();
        for (RestAnswer a : answers) {
            assertThat(a.status)
                    .as("%s answered %d: %s", a.what, a.status, a.body)
                    .isBetween(200, 499);
            if (a.status >= 400) {
                JsonObject err = new JsonObject(a.body);
                assertThat(err.getString("error"))
                        .as("error body of %s", a.what)
                        .isNotBlank();
                assertClean(err.getString("error"));
            }
        }
        print(
                REST_CALLS + " mutated REST calls",
                answers.stream().mapToLong(a -> a.micros).toArray());
    }

    // ------------------------------------------------------------------ mutations

    /** Random bytes, a truncation, bit flips, a byte run duplicated or dropped: one of them. */
    static byte[] mutate(byte[] valid, Random rnd) {
        switch (rnd.nextInt(5)) {
            case 0 -> {
                byte[] b = new byte[1 + rnd.nextInt(64)];
                rnd.nextBytes(b);
                return b;
            }
            case 1 -> {
                return Arrays.copyOf(valid, valid.length == 0 ? 0 : rnd.nextInt(valid.length));
            }
            case 2 -> {
                byte[] b = valid.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int i = 0; i < flips && b.length > 0; i++) {
                    int at = rnd.nextInt(b.length);
                    b[at] ^= (byte) (1 << rnd.nextInt(8));
                }
                return b;
            }
            case 3 -> {
                if (valid.length < 2) {
                    return valid.clone();
                }
                int from = rnd.nextInt(valid.length - 1);
                int len = 1 + rnd.nextInt(Math.min(32, valid.length - from));
                byte[] b = new byte[valid.length + len];
                System.arraycopy(valid, 0, b, 0, from + len);
                System.arraycopy(valid, from, b, from + len, valid.length - from);
                return b;
            }
            default -> {
                if (valid.length < 2) {
                    return valid.clone();
                }
                int from = rnd.nextInt(valid.length - 1);
                int len = 1 + rnd.nextInt(Math.min(32, valid.length - from - 1) + 1);
                byte[] b = new byte[valid.length - Math.min(len, valid.length - from)];
                System.arraycopy(valid, 0, b, 0, from);
                System.arraycopy(valid, from + (valid.length - b.length), b, from, b.length - from);
                return b;
            }
        }
    }

    /** The same JSON with one value, chosen at random at any depth, replaced by one of another type. */
    static JsonObject confuse(JsonObject body, Random rnd) {
        JsonObject copy = body.copy();
        List<Runnable> edits = new ArrayList<>();
        collect(copy, rnd, edits);
        edits.get(rnd.nextInt(edits.size())).run();
        return copy;
    }

    private static void collect(Object node, Random rnd, List<Runnable> edits) {
        if (node instanceof JsonObject o) {
            for (String k : new ArrayList<>(o.fieldNames())) {
                edits.add(() -> o.put(k, confusing(rnd)));
                collect(o.getValue(k), rnd, edits);
            }
        } else if (node instanceof JsonArray a) {
            for (int i = 0; i < a.size(); i++) {
                int at = i;
                edits.add(() -> a.set(at, confusing(rnd)));
                collect(a.getValue(i), rnd, edits);
            }
        }
    }

    private static Object confusing(Random rnd) {
        return switch (rnd.nextInt(14)) {
            case 0 -> "a string";
            case 1 -> "";
            case 2 -> -1;
            case 3 -> 0;
            case 4 -> Long.MAX_VALUE;
            case 5 -> new BigInteger("18446744073709551632");
            case 6 -> 1e308;
            case 7 -> -0.5;
            case 8 -> true;
            case 9 -> null;
            case 10 -> new JsonArray();
            case 11 -> new JsonObject();
            case 12 -> new JsonArray().add(new JsonArray().add(new JsonArray().add(1)));
            default -> new JsonObject().put("name", new JsonArray().add("x"));
        };
    }

    // ------------------------------------------------------------------ plumbing

    private static ModelInferRequest validInfer() {
        return fp32("m", "input", ramp(32, 1f), 2, 16).toBuilder()
                .setId("req-1")
                .build();
    }

    private static ModelInferRequest typedInfer() {
        ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("input")
                .setDatatype("INT64")
                .addShape(2)
                .addShape(3)
                .setContents(InferTensorContents.newBuilder().addAllInt64Contents(List.of(1L, 2L, 3L, 4L, 5L, 6L)));
        return ModelInferRequest.newBuilder()
                .setModelName("id-int64")
                .addInputs(in)
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                        .setName("output"))
                .build();
    }

    private static ModelInferRequest bytesInfer() {
        ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                .setName("input")
                .setDatatype("BYTES")
                .addShape(2);
        byte[] raw = {5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', 2, 0, 0, 0, 'o', 'k'};
        return ModelInferRequest.newBuilder()
                .setModelName("id-bytes")
                .addInputs(in)
                .addRawInputContents(ByteString.copyFrom(raw))
                .build();
    }

    private record Seed(String service, String method, byte[] bytes) {}

    private record RestSeed(String path, JsonObject body) {}

    private record Answer(GrpcStatus status, String message, long micros, String what) {
        Answer withWhat(String w) {
            return new Answer(status, message, micros, w);
        }
    }

    private record RestAnswer(String what, int status, String body, long micros) {}

    /** Sends {@code body} as one raw gRPC message and reads the status the node answers with. */
    private static Future<Answer> send(String service, String method, byte[] body) {
        ServiceMethod<Buffer, Buffer> m = ServiceMethod.client(
                ServiceName.create(service), method, GrpcMessageEncoder.IDENTITY, GrpcMessageDecoder.IDENTITY);
        long start = System.nanoTime();
        return raw.request(grpcAddress, m)
                .compose(req -> {
                    req.timeout(HANG_MS, TimeUnit.MILLISECONDS);
                    req.endMessage(GrpcMessage.message("identity", Buffer.buffer(body)));
                    return req.response();
                })
                .compose(resp -> resp.end()
                        .transform(ar -> Future.succeededFuture(new Answer(
                                resp.status(),
                                String.valueOf(resp.statusMessage()),
                                (System.nanoTime() - start) / 1000,
                                method))))
                .recover(t -> Future.succeededFuture(
                        new Answer(null, String.valueOf(t), (System.nanoTime() - start) / 1000, method)));
    }

    private static void assertClean(String message) {
        assertThat(message).as("an error message").isNotBlank();
        assertThat(LEAK.matcher(message).find())
                .as("leaks internals: %s", message)
                .isFalse();
    }

    private static double undecodableCount(String method) {
        String metrics = node.client.getWithToken("/metrics").body();
        return metrics.lines()
                .filter(l -> l.startsWith("modelmux_grpc_undecodable_messages_total{")
                        && l.contains("method=\"" + method + "\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 48); i++) {
            s.append(String.format("%02x", b[i]));
        }
        return s + (b.length > 48 ? "…(" + b.length + " bytes)" : "");
    }

    private static void print(String what, long[] micros) {
        long[] s = micros.clone();
        Arrays.sort(s);
        Function<Double, Long> q = p -> s[Math.min(s.length - 1, (int) Math.floor(p * s.length))];
        System.out.printf(
                "%s: answered all; latency p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                what, q.apply(0.5) / 1000.0, q.apply(0.99) / 1000.0, s[s.length - 1] / 1000.0);
    }
}
