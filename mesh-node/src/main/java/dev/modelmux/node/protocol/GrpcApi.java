package dev.modelmux.node.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelmux.admission.sched.Caller;
import dev.modelmux.admission.tenant.Ticket;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcService;
import dev.modelmux.node.oip.ModelConfigResponse;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.ModelMetadataResponse;
import dev.modelmux.node.oip.ModelReadyResponse;
import dev.modelmux.node.oip.ModelRepositoryParameter;
import dev.modelmux.node.oip.ModelVersionStatus;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import dev.modelmux.node.oip.RepositoryModelLoadResponse;
import dev.modelmux.node.oip.RepositoryModelUnloadResponse;
import dev.modelmux.node.oip.ServerLiveResponse;
import dev.modelmux.node.oip.ServerMetadataResponse;
import dev.modelmux.node.oip.ServerReadyResponse;
import dev.modelmux.node.path.CancelSignal;
import dev.modelmux.node.security.HopAuth;
import dev.modelmux.node.security.HopTag;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelOutput;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Predicate;

/** The Open Inference Protocol's gRPC service ({@code inference.GRPCInferenceService}) on Vert.x gRPC. */
public final class GrpcApi {
    private static final String PROTOCOL = "grpc";

    private final GrpcCodec codec;
    private final HopAuth hops;
    private final ApiContext api;

    public GrpcApi(ApiContext api, GrpcCodec codec, HopAuth hops) {
        this.api = api;
        this.hops = hops;
        this.codec = codec;
    }

    public void bind(GrpcServer server) {
        unary(
                server,
                GRPCInferenceServiceGrpcService.ServerLive,
                (req, call) -> Future.succeededFuture(
                        ServerLiveResponse.newBuilder().setLive(true).build()));
        unary(
                server,
                GRPCInferenceServiceGrpcService.ServerReady,
                (req, call) -> Future.succeededFuture(ServerReadyResponse.newBuilder()
                        .setReady(api.ready().getAsBoolean())
                        .build()));
        unary(
                server,
                GRPCInferenceServiceGrpcService.ServerMetadata,
                (req, call) -> Future.succeededFuture(ServerMetadataResponse.newBuilder()
                        .setName(api.info().name())
                        .setVersion(api.info().version())
                        .addAllExtensions(api.info().extensions())
                        .build()));
        unary(
                server,
                GRPCInferenceServiceGrpcService.ModelReady,
                (req, call) -> Future.succeededFuture(ModelReadyResponse.newBuilder()
                        .setReady(Visibility.of(api, auth(call)).test(req.getName())
                                && api.models().ready(req.getName(), req.getVersion(), api.readiness()))
                        .build()));
        unary(server, GRPCInferenceServiceGrpcService.ModelMetadata, this::readerOrPeer, (req, call) -> {
            Visibility.check(api, auth(call), req.getName());
            return api.models().describe(req.getName(), req.getVersion()).map(GrpcApi::metadata);
        });
        unary(server, GRPCInferenceServiceGrpcService.ModelConfig, this::readerOrPeer, (req, call) -> {
            Visibility.check(api, auth(call), req.getName());
            return api.models()
                    .describe(req.getName(), req.getVersion())
                    .map(v -> ModelConfigResponse.newBuilder()
                            .setConfig(effectiveConfig(v))
                            .build());
        });
        Statistics statistics = new Statistics(api, api.stats(), api.peers());
        unary(server, GRPCInferenceServiceGrpcService.ModelStatistics, this::readerOrPeer, (req, call) -> {
            boolean peer = fromPeer(call);
            if (peer) {
                hops.checkModel(call.headers().get(HopTag.MODEL_HEADER), req.getName());
            }
            return statistics.collect(
                    req.getName(), req.getVersion(), peer, peer ? m -> true : Visibility.of(api, auth(call)));
        });
        // ModelInfer's message arrives as bytes and is parsed off the event loop when it is large.
        unary(server, RAW_MODEL_INFER, this::tenantOrPeer, (raw, call) -> {
            long start = api.nanoClock().getAsLong();
            long timeoutMs = call.timeout();
            long deadline = timeoutMs > 0 ? start + timeoutMs * 1_000_000L : Long.MAX_VALUE;
            boolean peer = fromPeer(call);
            // A reset stream (the client cancelled, or a hedging peer cancelled its losing forward) drops
            // the request if it has not started on the device yet.
            CancelSignal cancel = CancelSignal.create();
            call.errorHandler(error -> {
                api.metrics().callReset("ModelInfer");
                cancel.cancel();
            });
            return api.offload().run(raw.length(), () -> parse(raw)).compose(req -> {
                if (peer) {
                    hops.checkModel(call.headers().get(HopTag.MODEL_HEADER), req.getModelName());
                }
                return infer(req, call.headers(), start, deadline, peer, cancel);
            });
        });
        new StreamInfer(api, this, server).bind();
        unary(server, GRPCInferenceServiceGrpcService.RepositoryIndex, this::readerOrPeer, (req, call) -> {
            RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
            Predicate<String> visible = Visibility.of(api, auth(call));
            for (ModelManager.IndexEntry e : MeshIndex.of(api, req.getReady())) {
                if (!visible.test(e.name())) {
                    continue;
                }
                b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder()
                        .setName(e.name())
                        .setVersion(e.version())
                        .setState(e.state())
                        .setReason(e.reason())
                        .setSha256(e.sha256()));
            }
            return Future.succeededFuture(b.build());
        });
        unary(server, GRPCInferenceServiceGrpcService.RepositoryModelLoad, this::adminOrPeer, (req, call) -> {
            if (fromPeer(call)) {
                // A placement decision of the mesh: load this one version here.
                hops.checkModel(call.headers().get(HopTag.MODEL_HEADER), req.getModelName());
                return api.models()
                        .loadVersion(req.getModelName(), version(req.getParametersMap()))
                        .map(v -> RepositoryModelLoadResponse.getDefaultInstance());
            }
            api.admin().check(call.headers().get("authorization"));
            return api.models()
                    .loadModel(req.getModelName())
                    .map(v -> RepositoryModelLoadResponse.getDefaultInstance());
        });
        unary(server, GRPCInferenceServiceGrpcService.RepositoryModelUnload, this::adminOrPeer, (req, call) -> {
            if (fromPeer(call)) {
                hops.checkModel(call.headers().get(HopTag.MODEL_HEADER), req.getModelName());
                return api.models()
                        .unloadVersion(req.getModelName(), version(req.getParametersMap()))
                        .map(v -> RepositoryModelUnloadResponse.getDefaultInstance());
            }
            api.admin().check(call.headers().get("authorization"));
            return api.models()
                    .unloadModel(req.getModelName())
                    .map(v -> RepositoryModelUnloadResponse.getDefaultInstance());
        });
    }

    /** ModelInfer with its request left undecoded, so that the node parses it where it chooses. */
    static final ServiceMethod<Buffer, ModelInferResponse> RAW_MODEL_INFER = ServiceMethod.server(
            ServiceName.create("inference.GRPCInferenceService"),
            "ModelInfer",
            GrpcMessageEncoder.encoder(),
            GrpcMessageDecoder.IDENTITY);

    /**
     * Parses a ModelInfer message after {@link InferWireScan} has checked its shapes and counted its
     * values, so that the parse allocates no more than the bounded shapes allow.
     */
    ModelInferRequest parseInfer(byte[] bytes) throws InvalidProtocolBufferException {
        InferWireScan.check(bytes, codec.limits());
        return ModelInferRequest.parseFrom(bytes);
    }

    private ModelInferRequest parse(Buffer raw) {
        try {
            return parseInfer(raw.getBytes());
        } catch (InvalidProtocolBufferException e) {
            api.metrics().undecodable("ModelInfer");
            throw ServingException.invalid(
                    "the request message could not be decoded as inference.GRPCInferenceService.ModelInfer's request: "
                            + GrpcCalls.reason(e));
        }
    }

    /**
     * One inference, for a unary call or one message of a stream: admission (unless forwarded from a
     * peer, which admitted it), decoding off the event loop when large, the request path, encoding.
     */
    Future<ModelInferResponse> infer(
            ModelInferRequest req,
            MultiMap headers,
            long start,
            long deadline,
            boolean forwardedIn,
            CancelSignal cancel) {
        Ticket ticket = forwardedIn
                ? null
                : api.tenants().admit(headers.get("authorization"), req.getModelName(), req.getSerializedSize());
        Caller caller = ticket != null
                ? Caller.of(ticket.tenant())
                : Caller.forwarded(
                        headers.get(Forwarder.TENANT_HEADER),
                        api.tenants().admission().policy());
        return api.offload()
                .run(req.getSerializedSize(), () -> codec.decode(req, deadline))
                .compose(decoded -> api.path().infer(decoded.withCancel(cancel), caller, PROTOCOL, start, forwardedIn))
                .compose(a -> (a.forwarded() != null
                                ? Future.succeededFuture(a.forwarded())
                                : api.offload()
                                        .run(
                                                Offload.outputBytes(a.result()),
                                                () -> codec.encode(a.model(), a.version(), a.id(), a.result())))
                        .map(r -> GrpcCodec.withParameters(r, a.parameters())))
                .andThen(ar -> {
                    if (ticket != null) {
                        ticket.close();
                    }
                });
    }

    private static String auth(GrpcServerRequest<?, ?> call) {
        return call.headers().get("authorization");
    }

    /**
     * Whether the call comes from another node of the mesh. Only for methods bound with a gate that
     * checks hops ({@link #tenantOrPeer}, {@link #readerOrPeer}, {@link #adminOrPeer}): the gate has
     * verified the hop's tag before the handler runs, and a hop's nonce is accepted only once.
     */
    private static boolean fromPeer(GrpcServerRequest<?, ?> call) {
        return call.headers().contains(HopTag.HOP_HEADER);
    }

    /** A hop's metadata, checked against the method and timeout the call really has. */
    private void checkHop(GrpcServerRequest<?, ?> call) {
        hops.check(
                call.serviceName().fullyQualifiedName() + "/" + call.methodName(), call.timeout(), call.headers()::get);
    }

    private static long version(Map<String, ModelRepositoryParameter> params) {
        ModelRepositoryParameter v = params.get("version");
        if (v == null || v.getInt64Param() < 1) {
            throw ServingException.invalid("a placement request names the version as an int64 'version' parameter");
        }
        return v.getInt64Param();
    }

    /**
     * The configuration a model runs with, as Triton reports it: the repository's {@code config.pbtxt}
     * completed from the graph (or derived from it when there is none), with its name, platform and
     * backend filled in.
     */
    static ModelConfig effectiveConfig(ModelManager.ModelView view) {
        ModelConfig c = view.config();
        ModelConfig.Builder b = c.toBuilder();
        if (c.getName().isEmpty()) {
            b.setName(view.name());
        }
        if (c.getPlatform().isEmpty() && c.getBackend().isEmpty()) {
            b.setPlatform("onnxruntime_onnx").setBackend("onnxruntime");
        } else if (c.getBackend().isEmpty() && c.getPlatform().equals("onnxruntime_onnx")) {
            b.setBackend("onnxruntime");
        } else if (c.getPlatform().isEmpty() && c.getBackend().equals("onnxruntime")) {
            b.setPlatform("onnxruntime_onnx");
        }
        return b.build();
    }

    static ModelMetadataResponse metadata(ModelManager.ModelView view) {
        ModelConfig c = view.config();
        ModelMetadataResponse.Builder b = ModelMetadataResponse.newBuilder()
                .setName(view.name())
                .setPlatform(c.getPlatform().isEmpty() ? "onnxruntime_onnx" : c.getPlatform());
        for (long v : view.versions()) {
            b.addVersions(Long.toString(v));
        }
        for (ModelInput in : c.getInputList()) {
            b.addInputs(tensor(in.getName(), in.getDataType(), ModelConfigs.fullDims(c, in.getDimsList())));
        }
        for (ModelOutput out : c.getOutputList()) {
            b.addOutputs(tensor(out.getName(), out.getDataType(), ModelConfigs.fullDims(c, out.getDimsList())));
        }
        for (ModelManager.IndexEntry e : view.index()) {
            b.addVersionStatus(ModelVersionStatus.newBuilder()
                    .setVersion(e.version())
                    .setState(e.state())
                    .setReason(e.reason())
                    .setSha256(e.sha256()));
        }
        return b.build();
    }

    private static ModelMetadataResponse.TensorMetadata tensor(
            String name, dev.modelmux.repo.config.DataType type, long[] dims) {
        ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder()
                .setName(name)
                .setDatatype(
                        DataType.fromConfig(type).map(DataType::protocolName).orElse("INVALID"));
        for (long d : dims) {
            t.addShape(d);
        }
        return t.build();
    }

    private <Q, R> void unary(
            GrpcServer server, ServiceMethod<Q, R> method, BiFunction<Q, GrpcServerRequest<Q, R>, Future<R>> fn) {
        GrpcCalls.unary(server, method, fn, api.metrics()::undecodable);
    }

    private <Q, R> void unary(
            GrpcServer server,
            ServiceMethod<Q, R> method,
            Consumer<GrpcServerRequest<?, ?>> credentials,
            BiFunction<Q, GrpcServerRequest<Q, R>, Future<R>> fn) {
        GrpcCalls.unary(server, method, credentials, fn, api.metrics()::undecodable);
    }

    /** A tenant's key (inference), or a peer's hop: checked before the message is read. */
    private void tenantOrPeer(GrpcServerRequest<?, ?> call) {
        if (fromPeer(call)) {
            checkHop(call);
        } else {
            api.tenants().authenticate(auth(call));
        }
    }

    /** Someone who may read model information (a tenant, the admin, a peer): checked before the message is read. */
    private void readerOrPeer(GrpcServerRequest<?, ?> call) {
        if (fromPeer(call)) {
            checkHop(call);
        } else {
            Visibility.of(api, auth(call));
        }
    }

    /** The admin token, or a peer's placement call: checked before the message is read. */
    private void adminOrPeer(GrpcServerRequest<?, ?> call) {
        if (fromPeer(call)) {
            checkHop(call);
        } else {
            api.admin().check(auth(call));
        }
    }
}
