package dev.modelmux.node.mesh;

import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.ModelRepositoryParameter;
import dev.modelmux.node.oip.ModelStatisticsRequest;
import dev.modelmux.node.oip.ModelStatisticsResponse;
import dev.modelmux.node.oip.RepositoryModelLoadRequest;
import dev.modelmux.node.oip.RepositoryModelUnloadRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.util.concurrent.TimeUnit;

/**
 * Sends a request to the node that holds the model, over the same gRPC protocol, with the
 * caller's remaining deadline, a hop count (a forwarded request is never forwarded again) and the
 * cluster secret, so no outside client can pass itself off as a forwarded request.
 */
public final class Forwarder {
    public static final String HOP_HEADER = "x-modelmux-hop";
    public static final String SECRET_HEADER = "x-modelmux-cluster-secret";
    /** The tenant the entry node admitted the request for (the holder queues it under that tenant). */
    public static final String TENANT_HEADER = "x-modelmux-tenant";

    private final GrpcClient client;
    private final String secret;

    public Forwarder(Vertx vertx, String secret, long maxMessageBytes) {
        this.client = GrpcClient.client(
                vertx, new GrpcClientOptions().setMaxMessageSize(Math.max(maxMessageBytes, 256L << 20)));
        this.secret = secret;
    }

    /**
     * Forwards {@code req} to {@code target}. Fails with the peer's status when it answered, or with
     * UNAVAILABLE (retriable) when it could not be reached.
     */
    public Future<ModelInferResponse> forward(
            NodeRecord target, ModelInferRequest req, long remainingNanos, String tenantId) {
        return forward(
                target, req, remainingNanos, tenantId, Promise.<Void>promise().future());
    }

    /**
     * As {@link #forward(NodeRecord, ModelInferRequest, long, String)}; when {@code cancel} completes
     * before the answer, the call is cancelled (the stream reset, so the peer writes no answer) and
     * the returned future fails UNAVAILABLE. A hedged request cancels the forward that lost this way.
     */
    public Future<ModelInferResponse> forward(
            NodeRecord target, ModelInferRequest req, long remainingNanos, String tenantId, Future<Void> cancel) {
        if (remainingNanos <= 0) {
            return Future.failedFuture(new ServingException(
                    ServingException.Code.DEADLINE_EXCEEDED, "deadline exceeded before forwarding"));
        }
        SocketAddress address = SocketAddress.inetSocketAddress(target.grpcPort(), target.grpcHost());
        return client.request(address, GRPCInferenceServiceGrpcClient.ModelInfer)
                .compose(call -> {
                    call.headers()
                            .set(HOP_HEADER, "1")
                            .set(SECRET_HEADER, secret)
                            .set(TENANT_HEADER, tenantId);
                    if (remainingNanos != Long.MAX_VALUE) {
                        call.timeout(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos)), TimeUnit.MILLISECONDS);
                    }
                    call.end(req);
                    cancel.onSuccess(v -> {
                        try {
                            call.cancel();
                        } catch (IllegalStateException alreadyEnded) {
                            // The call ended as it was cancelled: nothing left to stop.
                        }
                    });
                    return call.response()
                            .compose(resp -> resp.last().transform(ar -> {
                                if (ar.succeeded()) {
                                    return Future.succeededFuture(ar.result());
                                }
                                GrpcStatus s = resp.status();
                                return Future.failedFuture(
                                        s == null || s == GrpcStatus.OK
                                                ? peerDown(target)
                                                : new ServingException(
                                                        code(s),
                                                        resp.statusMessage() == null
                                                                ? "node " + target.nodeId() + " answered " + s
                                                                : resp.statusMessage()));
                            }));
                })
                .recover(t -> Future.failedFuture(
                        t instanceof ServingException
                                ? t
                                : cancel.succeeded()
                                        ? ServingException.unavailable(
                                                "the forward was cancelled: another holder answered first")
                                        : peerDown(target)));
    }

    /** Asks {@code target} to load (or, with {@code load} false, unload) one version: a placement decision. */
    public Future<Void> place(NodeRecord target, String model, long version, boolean load) {
        SocketAddress address = SocketAddress.inetSocketAddress(target.grpcPort(), target.grpcHost());
        ModelRepositoryParameter v =
                ModelRepositoryParameter.newBuilder().setInt64Param(version).build();
        Future<GrpcStatus> status;
        if (load) {
            status = client.request(address, GRPCInferenceServiceGrpcClient.RepositoryModelLoad)
                    .compose(call -> {
                        call.headers().set(HOP_HEADER, "1").set(SECRET_HEADER, secret);
                        call.end(RepositoryModelLoadRequest.newBuilder()
                                .setModelName(model)
                                .putParameters("version", v)
                                .build());
                        return call.response()
                                .compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status())));
                    });
        } else {
            status = client.request(address, GRPCInferenceServiceGrpcClient.RepositoryModelUnload)
                    .compose(call -> {
                        call.headers().set(HOP_HEADER, "1").set(SECRET_HEADER, secret);
                        call.end(RepositoryModelUnloadRequest.newBuilder()
                                .setModelName(model)
                                .putParameters("version", v)
                                .build());
                        return call.response()
                                .compose(resp -> resp.last().transform(ar -> Future.succeededFuture(resp.status())));
                    });
        }
        return status.compose(s -> s == GrpcStatus.OK
                ? Future.<Void>succeededFuture()
                : Future.failedFuture(new ServingException(
                        code(s),
                        "node " + target.nodeId() + " could not " + (load ? "load " : "unload ") + model + ":"
                                + version)));
    }

    /** Asks {@code target} for its own statistics (not its peers'): one part of the mesh's figures. */
    public Future<ModelStatisticsResponse> statistics(
            NodeRecord target, String model, String version, long timeoutMillis) {
        SocketAddress address = SocketAddress.inetSocketAddress(target.grpcPort(), target.grpcHost());
        return client.request(address, GRPCInferenceServiceGrpcClient.ModelStatistics)
                .compose(call -> {
                    call.headers().set(HOP_HEADER, "1").set(SECRET_HEADER, secret);
                    call.timeout(timeoutMillis, TimeUnit.MILLISECONDS);
                    call.end(ModelStatisticsRequest.newBuilder()
                            .setName(model)
                            .setVersion(version)
                            .build());
                    return call.response().compose(resp -> resp.last());
                });
    }

    private static ServingException peerDown(NodeRecord target) {
        return ServingException.peerUnreachable("node " + target.nodeId() + " holding the model is unreachable; retry");
    }

    private static ServingException.Code code(GrpcStatus s) {
        for (ServingException.Code c : ServingException.Code.values()) {
            if (c.grpc() == s) {
                return c;
            }
        }
        return ServingException.Code.INTERNAL;
    }

    public Future<Void> close() {
        return client.close();
    }
}
