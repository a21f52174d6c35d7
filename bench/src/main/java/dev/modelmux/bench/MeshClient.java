package dev.modelmux.bench;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.ServerLiveRequest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The benchmark's client of the mesh, on its own Vert.x: Open Inference Protocol calls over gRPC
 * with a deadline, and the few REST reads it needs (repository index, metrics). Every call is
 * bounded in time.
 */
final class MeshClient implements AutoCloseable {
    /** A gRPC call's outcome: {@code status} is a gRPC status name, or CONNECT_FAILED / CLIENT_TIMEOUT. */
    record Reply(String status, String message, ModelInferResponse body) {
        boolean ok() {
            return body != null;
        }
    }

    private final Vertx vertx = Vertx.vertx();
    private final GrpcClient grpc = GrpcClient.client(vertx, new GrpcClientOptions().setMaxMessageSize(64L << 20));
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** Sends {@code req} to the node on {@code grpcPort} with a deadline of {@code timeoutMs}. */
    Future<Reply> infer(int grpcPort, ModelInferRequest req, long timeoutMs) {
        SocketAddress address = SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1");
        return grpc.request(address, GRPCInferenceServiceGrpcClient.ModelInfer)
                .compose(call -> {
                    call.timeout(timeoutMs, TimeUnit.MILLISECONDS);
                    call.end(req);
                    return call.response();
                })
                .compose(resp -> resp.last()
                        .transform(ar -> Future.succeededFuture(
                                ar.succeeded()
                                        ? new Reply("OK", "", ar.result())
                                        : new Reply(
                                                resp.status() == null || resp.status() == GrpcStatus.OK
                                                        ? "BROKEN_STREAM"
                                                        : resp.status().name(),
                                                resp.statusMessage() == null
                                                        ? String.valueOf(ar.cause())
                                                        : resp.statusMessage(),
                                                null))))
                .recover(
                        t -> Future.succeededFuture(new Reply("CONNECT_FAILED", String.valueOf(t.getMessage()), null)));
    }

    /** {@link #infer} waited for; a reply never takes longer than the deadline plus a second. */
    Reply call(int grpcPort, ModelInferRequest req, long timeoutMs) {
        try {
            return infer(grpcPort, req, timeoutMs)
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(timeoutMs + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new Reply("CLIENT_TIMEOUT", "no reply within " + (timeoutMs + 1000) + " ms", null);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A call that must succeed (set-up and measurement loops); throws with the status otherwise. */
    ModelInferResponse ok(int grpcPort, ModelInferRequest req) {
        Reply r = call(grpcPort, req, 120_000);
        if (!r.ok()) {
            throw new IllegalStateException(
                    req.getModelName() + " on port " + grpcPort + ": " + r.status() + " " + r.message());
        }
        return r.body();
    }

    /** One ServerLive call: a gRPC round trip on loopback that touches no model, routing or Hazelcast. */
    void live(int grpcPort) {
        SocketAddress address = SocketAddress.inetSocketAddress(grpcPort, "127.0.0.1");
        try {
            grpc.request(address, GRPCInferenceServiceGrpcClient.ServerLive)
                    .compose(call -> {
                        call.timeout(10, TimeUnit.SECONDS);
                        call.end(ServerLiveRequest.getDefaultInstance());
                        return call.response();
                    })
                    .compose(resp -> resp.last())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(11, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("ServerLive on port " + grpcPort + ": " + e.getMessage(), e);
        }
    }

    /** Names of the model versions READY on this node's own devices ({@code POST /v2/repository/index}). */
    List<String> readyModels(int httpPort) {
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(httpPort, "/v2/repository/index"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"ready\":true}"))
                .header("content-type", "application/json"));
        List<String> out = new ArrayList<>();
        if (r.statusCode() == 200) {
            for (Object o : new JsonArray(r.body())) {
                JsonObject m = (JsonObject) o;
                if ("READY".equals(m.getString("state"))) {
                    out.add(m.getString("name"));
                }
            }
        }
        return out;
    }

    /** Status code of {@code GET path} with the admin token (to see whether an endpoint exists yet). */
    int status(int httpPort, String path, String adminToken) {
        return send(HttpRequest.newBuilder(uri(httpPort, path)).GET().header("authorization", "Bearer " + adminToken))
                .statusCode();
    }

    /** Status code of {@code POST path} (empty body) with the admin token: a management call. */
    int post(int httpPort, String path, String adminToken) {
        return send(HttpRequest.newBuilder(uri(httpPort, path))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .header("authorization", "Bearer " + adminToken))
                .statusCode();
    }

    /** Sum of the metric lines that start with {@code prefix} (a name and the start of its labels). */
    double metric(int httpPort, String prefix) {
        String body =
                send(HttpRequest.newBuilder(uri(httpPort, "/metrics")).GET()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith(prefix)) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    /** Sum of {@code modelmux_inference_requests_total} for {@code model} with {@code outcome}. */
    double requests(int httpPort, String model, String outcome) {
        String body =
                send(HttpRequest.newBuilder(uri(httpPort, "/metrics")).GET()).body();
        double sum = 0;
        for (String line : body.split("\n")) {
            if (line.startsWith("modelmux_inference_requests_total{")
                    && line.contains("model=\"" + model + "\"")
                    && line.contains("outcome=\"" + outcome + "\"")) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }

    private static URI uri(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            grpc.close()
                    .compose(v -> vertx.close())
                    .toCompletionStage()
                    .toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // Closing is best effort at the end of a run.
        }
    }
}
