package dev.modelmux.node;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A test client speaking the Open Inference Protocol over real gRPC and REST on loopback. */
final class OipClient implements AutoCloseable {
    private final GrpcClient grpc;
    private final SocketAddress address;
    private final HttpClient http;
    private final String base;
    final GRPCInferenceServiceGrpcClient stub;

    OipClient(Vertx vertx, int grpcPort, int httpPort) {
        this(
                GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(256L << 20)),
                HttpClient.newHttpClient(),
                "http",
                grpcPort,
                httpPort);
    }

    /** A client over the given gRPC and HTTP clients (e.g. TLS ones), {@code scheme} http or https. */
    OipClient(GrpcClient grpc, HttpClient http, String scheme, int grpcPort, int httpPort) {
        this.grpc = grpc;
        this.http = http;
        this.address = SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1");
        this.stub = GRPCInferenceServiceGrpcClient.create(grpc, address);
        this.base = scheme + "://127.0.0.1:" + httpPort;
    }

    /** A gRPC reply: the status, its message, and the response when OK. */
    record Reply<R>(GrpcStatus status, String message, R body) {
        R ok() {
            if (status != GrpcStatus.OK) {
                throw new AssertionError("expected OK, got " + status + ": " + message);
            }
            return body;
        }
    }

    <Q, R> Reply<R> call(ServiceMethod<R, Q> method, Q request, Map<String, String> headers) {
        return NodeFixture.await(callAsync(method, request, headers, 0));
    }

    /** Sends without waiting; {@code timeoutMillis} > 0 sets the gRPC deadline. */
    <Q, R> Future<Reply<R>> callAsync(
            ServiceMethod<R, Q> method, Q request, Map<String, String> headers, long timeoutMillis) {
        return grpc.request(address, method)
                .compose(req -> {
                    headers.forEach((k, v) -> req.headers().set(k, v));
                    if (timeoutMillis > 0) {
                        req.timeout(timeoutMillis, TimeUnit.MILLISECONDS);
                    }
                    req.end(request);
                    return req.response();
                })
                .compose(resp -> resp.last()
                        .transform(ar -> Future.succeededFuture(
                                // last() fails for a non-OK status; the status and its message are on the response.
                                new Reply<>(resp.status(), resp.statusMessage(), ar.succeeded() ? ar.result() : null))))
                .recover(t -> Future.succeededFuture(new Reply<>(null, String.valueOf(t.getMessage()), null)));
    }

    <Q, R> Reply<R> call(ServiceMethod<R, Q> method, Q request) {
        return call(method, request, Map.of());
    }

    /** A REST reply. */
    record Http(int status, String body) {}

    Http get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET().build());
    }

    Http getWithToken(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path))
                .header("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN)
                .GET()
                .build());
    }

    Http post(String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("content-type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    private Http send(HttpRequest req) {
        try {
            HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
            return new Http(r.statusCode(), r.body());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Override
    public void close() {
        NodeFixture.await(grpc.close());
    }
}
