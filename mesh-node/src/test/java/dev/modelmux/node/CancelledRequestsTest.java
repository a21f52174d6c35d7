package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.admission.sched.DeviceQueue;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request whose caller has gone is not run: a gRPC call the client cancels while it waits on the
 * device is dropped when the device would start it, and a forwarded request whose caller cancels
 * cancels its forward, so the holder drops it too (as it does the losing forward of a hedge).
 */
class CancelledRequestsTest {
    @TempDir
    Path tmp;

    @Test
    void aCallCancelledWhileItWaitsForTheDeviceIsNotRun() {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 4096, 3);
        Vertx vertx = Vertx.vertx();
        try (NodeFixture fx = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            ModelInferRequest req = fp32("m", "input", ramp(16, 1f), 1, 16);
            fx.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, req).ok();
            double ranBefore = succeeded(fx, "m");

            GrpcClient client = GrpcClient.client(vertx);
            try (DeviceQueue.Hold hold = fx.node.schedulers().hold("cpu0")) {
                GrpcClientRequest<ModelInferRequest, ModelInferResponse> call = NodeFixture.await(client.request(
                        SocketAddress.inetSocketAddress(fx.node.grpcPort(), "127.0.0.1"),
                        GRPCInferenceServiceGrpcClient.ModelInfer));
                call.end(req);
                await().atMost(NodeFixture.PATIENCE)
                        .until(() -> fx.node.schedulers().queued() == 1);
                call.cancel();
                await().atMost(NodeFixture.PATIENCE).until(() -> resets(fx) >= 1);
            }
            await().atMost(NodeFixture.PATIENCE).until(() -> cancelled(fx) == 1);
            assertThat(fx.node.schedulers().queued()).isZero();

            // The device serves the next request, and the cancelled one never ran.
            fx.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, req).ok();
            assertThat(succeeded(fx, "m")).isEqualTo(ranBefore + 1);
            NodeFixture.await(client.close());
        } finally {
            NodeFixture.await(vertx.close());
        }
    }

    @Test
    void aForwardedCallWhoseClientCancelsIsDroppedOnTheHolder() {
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        repo.config("big", TestRepo.mlpConfig("big", 16, 4, 8)).file("big", 1, TestRepo.mlpBytes(16, 4, 2_000_000, 5));
        ModelInferRequest req = fp32("big", "input", ramp(16, 1f), 1, 16);
        List<NodeFixture> nodes = new ArrayList<>();
        Vertx vertx = Vertx.vertx();
        try {
            // a: 1 MiB, no room for the ~3 MB model: what it takes is forwarded to b.
            NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 1L << 20, "node-a", List.of());
            nodes.add(a);
            NodeFixture b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            nodes.add(b);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, req)
                            .status()
                            .equals(io.vertx.grpc.common.GrpcStatus.OK));
            double ranBefore = succeeded(b, "big");

            GrpcClient client = GrpcClient.client(vertx);
            try (DeviceQueue.Hold hold = b.node.schedulers().hold("cpu0")) {
                GrpcClientRequest<ModelInferRequest, ModelInferResponse> call = NodeFixture.await(client.request(
                        SocketAddress.inetSocketAddress(a.node.grpcPort(), "127.0.0.1"),
                        GRPCInferenceServiceGrpcClient.ModelInfer));
                call.end(req);
                await().atMost(NodeFixture.PATIENCE)
                        .until(() -> b.node.schedulers().queued() == 1);
                call.cancel();
                // a sees its client's reset and cancels the forward: b sees the forward's.
                await().atMost(NodeFixture.PATIENCE).until(() -> resets(a) >= 1 && resets(b) >= 1);
            }
            await().atMost(NodeFixture.PATIENCE).until(() -> cancelled(b) == 1);
            assertThat(b.node.schedulers().queued()).isZero();
            assertThat(succeeded(b, "big")).isEqualTo(ranBefore);
            NodeFixture.await(client.close());
        } finally {
            for (NodeFixture n : nodes) {
                n.close();
            }
            NodeFixture.await(vertx.close());
        }
    }

    private static double succeeded(NodeFixture f, String model) {
        return EndpointSupport.metric(f, "modelmux_inference_requests_total", "model", model, "outcome", "success");
    }

    private static double resets(NodeFixture f) {
        return EndpointSupport.metric(f, "modelmux_grpc_calls_reset_total", "method", "ModelInfer");
    }

    private static double cancelled(NodeFixture f) {
        return EndpointSupport.metric(f, "modelmux_inference_cancelled_total", "device", "cpu0");
    }
}
