package dev.modelmux.node.protocol;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.admission.tenant.Ticket;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcService;
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
import dev.modelmux.node.security.SecretCheck;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelOutput;
import io.vertx.core.Future;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.Map;
import java.util.function.BiFunction;

/** The Open Inference Protocol's gRPC service ({@code inference.GRPCInferenceService}) on Vert.x gRPC. */
public final class GrpcApi {
    private static final String PROTOCOL = "grpc";

    private final GrpcCodec codec;
    private final SecretCheck clusterAuth;
    private final ApiContext api;

    public GrpcApi(ApiContext api, GrpcCodec codec, SecretCheck clusterAuth) {
        this.api = api;
        this.clusterAuth = clusterAuth;
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
                        .setReady(api.models().ready(req.getName(), req.getVersion()))
                        .build()));
        unary(
                server,
                GRPCInferenceServiceGrpcService.ModelMetadata,
                (req, call) ->
                        api.models().describe(req.getName(), req.getVersion()).map(GrpcApi::metadata));
        unary(server, GRPCInferenceServiceGrpcService.ModelInfer, (req, call) -> {
            long start = api.nanoClock().getAsLong();
            long timeoutMs = call.timeout();
            long deadline = timeoutMs > 0 ? start + timeoutMs * 1_000_000L : Long.MAX_VALUE;
            boolean forwardedIn = fromPeer(call);
            Ticket ticket = forwardedIn
                    ? null
                    : api.tenants()
                            .admit(call.headers().get("authorization"), req.getModelName(), req.getSerializedSize());
            Caller caller = ticket != null
                    ? Caller.of(ticket.tenant())
                    : Caller.forwarded(
                            call.headers().get(Forwarder.TENANT_HEADER),
                            api.tenants().admission().policy());
            return api.offload()
                    .run(req.getSerializedSize(), () -> codec.decode(req, deadline))
                    .compose(decoded -> api.path().infer(decoded, caller, PROTOCOL, start, forwardedIn))
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
        });
        unary(server, GRPCInferenceServiceGrpcService.RepositoryIndex, (req, call) -> {
            RepositoryIndexResponse.Builder b = RepositoryIndexResponse.newBuilder();
            for (ModelManager.IndexEntry e : api.models().index(req.getReady())) {
                b.addModels(RepositoryIndexResponse.ModelIndex.newBuilder()
                        .setName(e.name())
                        .setVersion(e.version())
                        .setState(e.state())
                        .setReason(e.reason())
                        .setSha256(e.sha256()));
            }
            return Future.succeededFuture(b.build());
        });
        unary(server, GRPCInferenceServiceGrpcService.RepositoryModelLoad, (req, call) -> {
            if (fromPeer(call)) {
                // A placement decision of the mesh: load this one version here.
                return api.models()
                        .loadVersion(req.getModelName(), version(req.getParametersMap()))
                        .map(v -> RepositoryModelLoadResponse.getDefaultInstance());
            }
            api.admin().check(call.headers().get("authorization"));
            return api.models()
                    .loadModel(req.getModelName())
                    .map(v -> RepositoryModelLoadResponse.getDefaultInstance());
        });
        unary(server, GRPCInferenceServiceGrpcService.RepositoryModelUnload, (req, call) -> {
            if (fromPeer(call)) {
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

    /** Whether the call comes from another node of the mesh (then it must carry the cluster secret). */
    private boolean fromPeer(GrpcServerRequest<?, ?> call) {
        if (!call.headers().contains(Forwarder.HOP_HEADER)) {
            return false;
        }
        clusterAuth.check(call.headers().get(Forwarder.SECRET_HEADER));
        return true;
    }

    private static long version(Map<String, ModelRepositoryParameter> params) {
        ModelRepositoryParameter v = params.get("version");
        if (v == null || v.getInt64Param() < 1) {
            throw ServingException.invalid("a placement request names the version as an int64 'version' parameter");
        }
        return v.getInt64Param();
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
}
