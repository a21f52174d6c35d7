package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.ModelConfigRequest;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.ModelMetadataRequest;
import dev.modelmux.node.oip.ModelReadyRequest;
import dev.modelmux.node.oip.ModelStatisticsRequest;
import dev.modelmux.node.oip.ModelStatisticsResponse;
import dev.modelmux.node.oip.ModelStreamInferResponse;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import dev.modelmux.node.oip.ServerMetadataRequest;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.config.ModelConfig;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The gRPC side of Triton's extensions as {@code tritonclient.grpc} and {@code perf_analyzer} use them:
 * ModelConfig, ModelReady for unknown models, ModelStatistics, the ModelStreamInfer stream (ordered
 * answers, one bad request or a garbage message answered in the stream while it stays open, the
 * tenant's key from the stream's metadata), classification, inputs whose symbolic dimensions disagree,
 * and a call cancelled at a 1 µs deadline cleaned up without an error in the log.
 */
class TritonGrpcTest {
    private static final String KEY = "stream-tenant-key-0123456789";
    private static final String NARROW = "narrow-tenant-key-0123456789";

    @TempDir
    static Path tmp;

    static NodeFixture node;
    static GrpcClient raw;
    static SocketAddress address;
    static byte[] mlp;

    @BeforeAll
    static void start() throws Exception {
        Path repo = tmp.resolve("repo");
        mlp = TestRepo.mlpBytes(16, 4, 20_000, 5);
        new TestRepo(repo)
                .config("full", TritonHttpTest.FULL_CONFIG)
                .extra("full", "labels.txt", "zero\none\ntwo\nthree\n")
                .file("full", 1, mlp)
                .file("full", 2, mlp)
                .config("minilm-q", TestRepo.minilmConfig("minilm-q"))
                .copy("minilm-q", 1, TestRepo.minilmQ());
        Path tenants = tmp.resolve("tenants.yaml");
        Files.writeString(
                tenants,
                "tenants:\n  - id: streamer\n    key_sha256: [" + TenantPolicy.sha256Hex(KEY) + "]\n"
                        + "  - id: narrow\n    key_sha256: [" + TenantPolicy.sha256Hex(NARROW) + "]\n"
                        + "    models: [\"full\"]\n");
        node = new NodeFixture(NodeFixture.await(
                MeshNode.start(NodeFixture.config(repo, tmp.resolve("data"), 512L << 20, ControlMode.POLL)
                        .withTenants(tenants))));
        raw = GrpcClient.client(node.node.vertx(), new GrpcClientOptions().setMaxMessageSize(64L << 20));
        address = SocketAddress.inetSocketAddress(node.node.grpcPort(), "127.0.0.1");
    }

    @AfterAll
    static void stop() {
        NodeFixture.await(raw.close());
        node.close();
    }

    static Map<String, String> auth() {
        return Map.of("authorization", "Bearer " + KEY);
    }

    @Test
    void modelConfigAndReadinessAndMetadataAsTritonclientReadsThem() throws Exception {
        ModelConfig config = node.client
                .call(
                        GRPCInferenceServiceGrpcClient.ModelConfig,
                        ModelConfigRequest.newBuilder().setName("full").build(),
                        auth())
                .ok()
                .getConfig();
        assertThat(config).isEqualTo(ModelConfigs.parse("full", "config.pbtxt", TritonHttpTest.FULL_CONFIG));
        assertThat(node.client
                        .call(
                                GRPCInferenceServiceGrpcClient.ModelConfig,
                                ModelConfigRequest.newBuilder().setName("nope").build(),
                                auth())
                        .status())
                .isEqualTo(GrpcStatus.NOT_FOUND);
        // Triton answers an unknown model "not ready" with status OK.
        assertThat(node.client
                        .call(
                                GRPCInferenceServiceGrpcClient.ModelReady,
                                ModelReadyRequest.newBuilder().setName("nope").build(),
                                auth())
                        .ok()
                        .getReady())
                .isFalse();
        assertThat(node.client
                        .call(
                                GRPCInferenceServiceGrpcClient.ModelReady,
                                ModelReadyRequest.newBuilder().setName("full").build(),
                                auth())
                        .ok()
                        .getReady())
                .as("ready before its first load: the mesh can serve it")
                .isTrue();
        assertThat(node.client
                        .call(GRPCInferenceServiceGrpcClient.ServerMetadata, ServerMetadataRequest.getDefaultInstance())
                        .ok()
                        .getExtensionsList())
                .contains("model_configuration", "binary_tensor_data", "statistics", "classification");
    }

    @Test
    void withTenantsModelInformationNeedsAKeyAndShowsOnlyTheTenantsModels() throws Exception {
        Map<String, String> narrow = Map.of("authorization", "Bearer " + NARROW);
        RepositoryIndexRequest all = RepositoryIndexRequest.getDefaultInstance();
        assertThat(node.client
                        .call(GRPCInferenceServiceGrpcClient.RepositoryIndex, all)
                        .status())
                .isEqualTo(GrpcStatus.UNAUTHENTICATED);
        assertThat(node.client
                        .call(GRPCInferenceServiceGrpcClient.RepositoryIndex, all, narrow)
                        .ok()
                        .getModelsList())
                .extracting(RepositoryIndexResponse.ModelIndex::getName)
                .containsOnly("full");
        assertThat(node.client
                        .call(GRPCInferenceServiceGrpcClient.RepositoryIndex, all, auth())
                        .ok()
                        .getModelsList())
                .extracting(RepositoryIndexResponse.ModelIndex::getName)
                .contains("full", "minilm-q");
        assertThat(node.client
                        .call(
                                GRPCInferenceServiceGrpcClient.ModelMetadata,
                                ModelMetadataRequest.newBuilder()
                                        .setName("minilm-q")
                                        .build(),
                                narrow)
                        .status())
                .isEqualTo(GrpcStatus.PERMISSION_DENIED);
        assertThat(node.client
                        .call(
                                GRPCInferenceServiceGrpcClient.ModelMetadata,
                                ModelMetadataRequest.newBuilder()
                                        .setName("full")
                                        .build())
                        .status())
                .isEqualTo(GrpcStatus.UNAUTHENTICATED);
        assertThat(node.client
                        .call(
                                GRPCInferenceServiceGrpcClient.ModelMetadata,
                                ModelMetadataRequest.newBuilder()
                                        .setName("minilm-q")
                                        .build(),
                                Map.of("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN))
                        .status())
                .isEqualTo(GrpcStatus.OK);
        assertThat(node.client.get("/v2/models/full/config").status()).isEqualTo(401);
        assertThat(node.client.post("/v2/repository/index", "").status()).isEqualTo(401);
        assertThat(node.client.get("/v2/models/stats").status()).isEqualTo(401);
        // Health and the server's own metadata stay public.
        assertThat(node.client.get("/v2/health/ready").status()).isEqualTo(200);
        assertThat(node.client.get("/v2").status()).isEqualTo(200);
    }

    @Test
    void aStreamOfAHundredRequestsWithOneBadOneIsAnsweredInOrderAndStaysOpen() throws Exception {
        List<byte[]> messages = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ModelInferRequest r = i == 50
                    ? fp32("full", "input", ramp(15, 1f), 1, 15).toBuilder()
                            .setId("r" + i)
                            .build()
                    : fp32("full", "input", ramp(16, i), 1, 16).toBuilder()
                            .setId("r" + i)
                            .build();
            messages.add(r.toByteArray());
        }
        List<ModelStreamInferResponse> answers = stream(messages, auth(), 0);
        assertThat(answers).hasSize(100);
        for (int i = 0; i < 100; i++) {
            ModelStreamInferResponse a = answers.get(i);
            assertThat(a.getInferResponse().getId()).isEqualTo("r" + i);
            if (i == 50) {
                assertThat(a.getErrorMessage()).contains("input 'input'").contains("[-1, 16]");
            } else {
                assertThat(a.getErrorMessage()).as("request %d", i).isEmpty();
                float[] x = ramp(16, i);
                float[] want = Requests.reference(
                        mlp,
                        Map.of("input", env -> ai.onnxruntime.OnnxTensor.createTensor(env, new float[][] {x})),
                        "output");
                assertThat(floats(a.getInferResponse(), 0)).containsExactly(want, within(1e-5f));
            }
        }
    }

    @Test
    void garbageInAStreamIsAnsweredInTheStreamAndTheNodeServesOn() throws Exception {
        List<byte[]> messages = List.of(
                fp32("full", "input", ramp(16, 1f), 1, 16).toBuilder()
                        .setId("a")
                        .build()
                        .toByteArray(),
                new byte[] {0, 1, 2, 3, 4, 5, 6, 7},
                fp32("full", "input", ramp(16, 2f), 1, 16).toBuilder()
                        .setId("b")
                        .build()
                        .toByteArray());
        List<ModelStreamInferResponse> answers = stream(messages, auth(), 0);
        assertThat(answers).hasSize(3);
        assertThat(answers.get(0).getErrorMessage()).isEmpty();
        assertThat(answers.get(1).getErrorMessage()).contains("stream message #2 could not be decoded");
        assertThat(answers.get(2).getErrorMessage()).isEmpty();
        assertThat(answers.get(2).getInferResponse().getId()).isEqualTo("b");
    }

    @Test
    void aStreamWithoutTheTenantsKeyIsRefused() throws Exception {
        Promise<GrpcStatus> status = Promise.promise();
        streamStatus(
                List.of(fp32("full", "input", ramp(16, 1f), 1, 16).toByteArray()),
                Map.of("authorization", "Bearer wrong-key-0000000000"),
                status);
        assertThat(NodeFixture.await(status.future())).isEqualTo(GrpcStatus.UNAUTHENTICATED);
    }

    @Test
    void classificationAnswersTheTopClassesWithTheirLabels() throws Exception {
        float[] x = ramp(16, 1f);
        ModelInferRequest req = fp32("full", "input", x, 1, 16).toBuilder()
                .addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder()
                        .setName("output")
                        .putParameters(
                                "classification",
                                InferParameter.newBuilder().setInt64Param(2).build()))
                .build();
        ModelInferResponse r = node.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, req, auth())
                .ok();
        float[] scores = Requests.reference(
                mlp, Map.of("input", env -> ai.onnxruntime.OnnxTensor.createTensor(env, new float[][] {x})), "output");
        int best = 0;
        for (int i = 1; i < 4; i++) {
            best = scores[i] > scores[best] ? i : best;
        }
        assertThat(r.getOutputs(0).getDatatype()).isEqualTo("BYTES");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(1L, 2L);
        List<String> classes = lengthPrefixed(r.getRawOutputContents(0));
        String[] labels = {"zero", "one", "two", "three"};
        assertThat(classes.get(0)).isEqualTo(scores[best] + ":" + best + ":" + labels[best]);
        assertThat(classes).hasSize(2);

        // Over REST as well.
        OipClient.Http h = node.client.post(
                "/v2/models/full/infer",
                "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":"
                        + java.util.Arrays.toString(x) + "}],\"outputs\":[{\"name\":\"output\",\"parameters\":"
                        + "{\"classification\":3}}]}",
                "authorization",
                "Bearer " + KEY);
        assertThat(h.status()).as(h.body()).isEqualTo(200);
        assertThat(h.body()).contains(":" + best + ":" + labels[best]);
    }

    @Test
    void inputsWhoseSymbolicDimensionsDisagreeAreRefusedBeforeTheRuntime() {
        ModelInferRequest req = ModelInferRequest.newBuilder()
                .setModelName("minilm-q")
                .addInputs(int64("input_ids", 1, 8))
                .addInputs(int64("attention_mask", 1, 1))
                .addInputs(int64("token_type_ids", 1, 8))
                .addRawInputContents(ByteString.copyFrom(new byte[64]))
                .addRawInputContents(ByteString.copyFrom(new byte[8]))
                .addRawInputContents(ByteString.copyFrom(new byte[64]))
                .build();
        OipClient.Reply<ModelInferResponse> r =
                node.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, req, auth());
        assertThat(r.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
        assertThat(r.message())
                .contains("'input_ids'")
                .contains("'attention_mask'")
                .contains("8 vs 1");
    }

    @Test
    void statisticsOverGrpc() {
        node.client
                .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("full", "input", ramp(16, 1f), 1, 16), auth())
                .ok();
        ModelStatisticsResponse s = node.client
                .call(
                        GRPCInferenceServiceGrpcClient.ModelStatistics,
                        ModelStatisticsRequest.newBuilder()
                                .setName("full")
                                .setVersion("2")
                                .build(),
                        auth())
                .ok();
        assertThat(s.getModelStatsList()).singleElement().satisfies(m -> {
            assertThat(m.getInferenceCount()).isPositive();
            assertThat(m.getInferenceStats().getSuccess().getCount()).isPositive();
            assertThat(m.getInferenceStats().getComputeInfer().getNs()).isPositive();
        });
    }

    @Test
    void aCallCancelledAtAMicrosecondDeadlineLeavesNoErrorInTheLog() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        root.addAppender(log);
        try {
            for (int i = 0; i < 20; i++) {
                OipClient.Reply<ModelInferResponse> r = NodeFixture.await(node.client.callAsync(
                        GRPCInferenceServiceGrpcClient.ModelInfer,
                        fp32("full", "input", ramp(16, 1f), 1, 16),
                        auth(),
                        0));
                assertThat(r.status()).isEqualTo(GrpcStatus.OK);
                NodeFixture.await(node.client.callAsync(
                        GRPCInferenceServiceGrpcClient.ModelInfer,
                        fp32("full", "input", ramp(16, 1f), 1, 16),
                        auth(),
                        1));
            }
            // What the node logs at ERROR or WARN about a call its client gave up on is a defect.
            assertThat(log.list.stream()
                            .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                            .map(ILoggingEvent::getFormattedMessage))
                    .noneMatch(m -> m.contains("stream has been closed") || m.contains("ModelInfer failed"));
        } finally {
            root.detachAppender(log);
        }
    }

    // ---------------------------------------------------------------- helpers

    static ModelInferRequest.InferInputTensor.Builder int64(String name, long... shape) {
        ModelInferRequest.InferInputTensor.Builder b =
                ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype("INT64");
        for (long d : shape) {
            b.addShape(d);
        }
        return b;
    }

    static List<String> lengthPrefixed(ByteString bytes) {
        ByteBuffer b = bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<String> out = new ArrayList<>();
        while (b.hasRemaining()) {
            byte[] s = new byte[b.getInt()];
            b.get(s);
            out.add(new String(s, StandardCharsets.UTF_8));
        }
        return out;
    }

    static ServiceMethod<Buffer, Buffer> streamMethod() {
        return ServiceMethod.client(
                ServiceName.create("inference.GRPCInferenceService"),
                "ModelStreamInfer",
                GrpcMessageEncoder.IDENTITY,
                GrpcMessageDecoder.IDENTITY);
    }

    /** Sends raw messages on one stream, half-closes, and collects the answers until the stream ends OK. */
    static List<ModelStreamInferResponse> stream(List<byte[]> messages, Map<String, String> headers, long timeoutMs) {
        List<ModelStreamInferResponse> out = new ArrayList<>();
        Promise<GrpcStatus> status = Promise.promise();
        Future<Void> done = raw.request(address, streamMethod())
                .compose(req -> {
                    headers.forEach((k, v) -> req.headers().set(k, v));
                    for (byte[] m : messages) {
                        req.writeMessage(GrpcMessage.message("identity", Buffer.buffer(m)));
                    }
                    req.end();
                    return req.response();
                })
                .compose(resp -> {
                    Promise<Void> end = Promise.promise();
                    resp.messageHandler(m -> {
                        try {
                            out.add(ModelStreamInferResponse.parseFrom(
                                    m.payload().getBytes()));
                        } catch (InvalidProtocolBufferException e) {
                            end.tryFail(e);
                        }
                    });
                    resp.endHandler(v -> end.tryComplete());
                    resp.exceptionHandler(end::tryFail);
                    return end.future().map(v -> {
                        status.tryComplete(resp.status());
                        return null;
                    });
                });
        NodeFixture.await(done);
        assertThat(NodeFixture.await(status.future())).isEqualTo(GrpcStatus.OK);
        return out;
    }

    static void streamStatus(List<byte[]> messages, Map<String, String> headers, Promise<GrpcStatus> status) {
        raw.request(address, streamMethod())
                .compose(req -> {
                    headers.forEach((k, v) -> req.headers().set(k, v));
                    for (byte[] m : messages) {
                        req.writeMessage(GrpcMessage.message("identity", Buffer.buffer(m)));
                    }
                    req.end();
                    return req.response();
                })
                .onSuccess(resp -> {
                    resp.messageHandler(m -> {});
                    // end() also completes when the response (a trailers-only refusal) ended before this ran.
                    resp.end().onComplete(ar -> status.tryComplete(resp.status()));
                })
                .onFailure(status::tryFail);
    }
}
