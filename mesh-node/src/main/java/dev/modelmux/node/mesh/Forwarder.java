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
import dev.modelmux.node.security.HopSigner;
import dev.modelmux.node.security.HopTag;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.impl.GrpcClientImpl;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends a request to the node that holds the model, over the same gRPC protocol, with the
 * caller's remaining deadline, a hop marker (a forwarded request is never forwarded again) and a hop
 * tag ({@link HopTag}: made with a key derived from the cluster secret, over the method, model,
 * tenant, timeout, a timestamp and a nonce), so no outside client can pass itself off as a forwarded
 * request, and the secret itself never goes on the wire.
 */
public final class Forwarder {
    public static final String HOP_HEADER = HopTag.HOP_HEADER;
    /** The tenant the entry node admitted the request for (the holder queues it under that tenant). */
    public static final String TENANT_HEADER = HopTag.TENANT_HEADER;
    /**
     * The longest timeout a hop carries, in ms: Vert.x writes shorter ones exactly (in ns, us or ms) and
     * the receiver parses them back to the same milliseconds the tag covers.
     */
    static final long MAX_TIMEOUT_MILLIS = 99_999_999L;

    /** How long opening a connection to a peer may take. */
    static final int CONNECT_TIMEOUT_MS = 2_000;

    private final HttpClientAgent http;
    private final GrpcClient client;
    private final HopSigner signer;
    private final PeerWatch peers;

    /** A forwarder that speaks plain HTTP/2 to other nodes. */
    public Forwarder(Vertx vertx, HopSigner signer, long maxMessageBytes) {
        this(vertx, signer, maxMessageBytes, Optional.empty(), peer -> {});
    }

    /**
     * @param tls when present, calls to other nodes use TLS with these options (what the node presents and
     *     trusts; see {@code TlsMaterial#client}); {@link #updateSsl} replaces them
     */
    public Forwarder(
            Vertx vertx,
            HopSigner signer,
            long maxMessageBytes,
            Optional<ClientSSLOptions> tls,
            Consumer<String> onSuspect) {
        HttpClientOptions options = new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false)
                // A peer that drops packets must not hold a forward for the OS's connect timeout.
                .setConnectTimeout(CONNECT_TIMEOUT_MS);
        tls.ifPresent(t -> options.setSsl(true)
                .setUseAlpn(true)
                .setVerifyHost(false)
                .setKeyCertOptions(t.getKeyCertOptions())
                .setTrustOptions(t.getTrustOptions()));
        this.http = vertx.httpClientBuilder().with(options).build();
        // The gRPC client over our own HTTP client, so that its TLS options can be updated in place
        // (GrpcClient's public factories that take the max message size build a client we cannot reach).
        this.client = new GrpcClientImpl(
                vertx, new GrpcClientOptions().setMaxMessageSize(Math.max(maxMessageBytes, 256L << 20)), http, true) {};
        this.signer = signer;
        this.peers = new PeerWatch(
                vertx,
                System::nanoTime,
                PeerWatch.PROBE_AFTER_MS,
                PeerWatch.PING_TIMEOUT_MS,
                PeerWatch.SUSPECT_FOR_MS,
                onSuspect);
    }

    /**
     * Whether {@code nodeId} stopped answering a forward recently (see {@link PeerWatch}): routing
     * prefers other holders, or this node, meanwhile.
     */
    public boolean suspected(String nodeId) {
        return peers.suspected(nodeId);
    }

    /** New TLS options for the connections opened from now on (open ones keep theirs). */
    public Future<Void> updateSsl(ClientSSLOptions tls) {
        return http.updateSSLOptions(tls, true).mapEmpty();
    }

    /** Sets the call's timeout (0 for none) and the hop's headers, tagged for exactly that timeout. */
    private void hop(
            GrpcClientRequest<?, ?> call, ServiceMethod<?, ?> method, String model, String tenant, long timeoutMs) {
        long t = Math.min(timeoutMs, MAX_TIMEOUT_MILLIS);
        if (t > 0) {
            call.timeout(t, TimeUnit.MILLISECONDS);
        }
        signer.headers(method.serviceName().fullyQualifiedName() + "/" + method.methodName(), model, tenant, t)
                .forEach(call.headers()::set);
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
        Promise<ModelInferResponse> out = Promise.promise();
        peers.opening(
                        target.nodeId(),
                        client.request(address, GRPCInferenceServiceGrpcClient.ModelInfer),
                        Forwarder::drop)
                .onFailure(t -> out.tryFail(t instanceof ServingException ? t : peerDown(target)))
                .onSuccess(call -> {
                    hop(
                            call,
                            GRPCInferenceServiceGrpcClient.ModelInfer,
                            req.getModelName(),
                            tenantId,
                            remainingNanos == Long.MAX_VALUE
                                    ? 0
                                    : Math.max(1, TimeUnit.NANOSECONDS.toMillis(remainingNanos)));
                    call.end(req);
                    cancel.onSuccess(v -> drop(call));
                    Future<ModelInferResponse> answer = call.response()
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
                    // A peer that stops answering PINGs meanwhile is given up on, and its call reset.
                    peers.watch(target.nodeId(), call.connection(), answer).onFailure(silent -> {
                        drop(call);
                        out.tryFail(peerDown(target));
                    });
                    answer.onComplete(ar -> {
                        if (ar.succeeded()) {
                            peers.answered(target.nodeId());
                            out.tryComplete(ar.result());
                            return;
                        }
                        Throwable t = ar.cause();
                        out.tryFail(
                                t instanceof ServingException
                                        ? t
                                        : cancel.succeeded()
                                                ? ServingException.unavailable(
                                                        "the forward was cancelled: another holder answered first")
                                                : peerDown(target));
                    });
                });
        return out.future();
    }

    /** Resets a call nobody waits for any more. */
    private static void drop(GrpcClientRequest<?, ?> call) {
        try {
            call.cancel();
        } catch (IllegalStateException alreadyEnded) {
            // The call ended as it was cancelled: nothing left to stop.
        }
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
                        hop(call, GRPCInferenceServiceGrpcClient.RepositoryModelLoad, model, null, 0);
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
                        hop(call, GRPCInferenceServiceGrpcClient.RepositoryModelUnload, model, null, 0);
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
                    hop(call, GRPCInferenceServiceGrpcClient.ModelStatistics, model, null, timeoutMillis);
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
