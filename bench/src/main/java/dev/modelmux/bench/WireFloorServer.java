package dev.modelmux.bench;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcService;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.protocol.GrpcCalls;
import dev.modelmux.node.protocol.Listeners;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The wire floor of {@code bench/latency}, run as its own process: a do-nothing
 * {@code inference.GRPCInferenceService/ModelInfer} server on the node's own gRPC stack (Vert.x 5
 * gRPC server, the same server and HTTP/2 options, the same number of event loops, the same unary
 * binding {@link GrpcCalls}) that decodes each request and answers with a canned response captured
 * from the real node for that model: the same bytes on the wire, no model, no routing, no queue.
 *
 * <p>Usage: {@code WireFloorServer <folder of <model>.bin ModelInferResponse files>}; prints
 * {@code wire floor serving on port N} once it listens, and runs until its stdin ends.
 */
public final class WireFloorServer {
    private WireFloorServer() {}

    public static void main(String[] args) throws Exception {
        Map<String, ModelInferResponse> canned = load(Path.of(args[0]));
        Vertx vertx = Vertx.vertx();
        GrpcServer grpc = GrpcServer.server(
                vertx, new GrpcServerOptions().setMaxMessageSize(64L << 20).setScheduleDeadlineAutomatically(true));
        GrpcCalls.unary(
                grpc,
                GRPCInferenceServiceGrpcService.ModelInfer,
                (req, call) -> {
                    ModelInferResponse r = canned.get(req.getModelName());
                    return r == null
                            ? Future.failedFuture(
                                    new IllegalArgumentException("no canned response for " + req.getModelName()))
                            : Future.succeededFuture(r);
                },
                name -> {});
        int port = Listeners.listen(
                        vertx,
                        // As MeshNode's gRPC listener: h2c, 1 MiB frames, 100 streams per connection.
                        new HttpServerOptions()
                                .setHost("127.0.0.1")
                                .setPort(0)
                                .setHttp2ClearTextEnabled(true)
                                .setIdleTimeout(300)
                                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                                .setInitialSettings(new Http2Settings()
                                        .setMaxFrameSize(1 << 20)
                                        .setMaxConcurrentStreams(100)),
                        grpc,
                        Listeners.instancesFor(Runtime.getRuntime().availableProcessors()))
                .toCompletionStage()
                .toCompletableFuture()
                .get(60, TimeUnit.SECONDS)
                .actualPort();
        System.out.println("wire floor serving on port " + port);
        System.out.flush();
        // The bench holds our stdin: when it ends (the bench stopped us, or died), so do we.
        while (System.in.read() >= 0) {
            // Nothing is sent; a "quit" line is as good as the end.
        }
        System.exit(0);
    }

    private static Map<String, ModelInferResponse> load(Path dir) throws IOException {
        Map<String, ModelInferResponse> out = new HashMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".bin")).toList()) {
                String name = f.getFileName().toString();
                out.put(name.substring(0, name.length() - 4), ModelInferResponse.parseFrom(Files.readAllBytes(f)));
            }
        }
        return out;
    }
}
