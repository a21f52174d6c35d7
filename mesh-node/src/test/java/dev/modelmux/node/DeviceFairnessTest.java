package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.repo.OnnxModelBuilder;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tenants on a real node's device queue: a tenant with a backlog does not make another wait behind
 * all of it (weighted fair queuing, checked by completion order, not by time), and a tenant over its
 * rate quota recovers once the hinted retry time has passed.
 */
class DeviceFairnessTest {
    private static final String KEY_A = "key-flood-a-0123456789";
    private static final String KEY_B = "key-light-b-0123456789";
    private static final int WIDTH = 512;

    @TempDir
    Path tmp;

    @Test
    void aBackloggedTenantDoesNotQueueAnotherBehindItAndQuotasRecover() throws Exception {
        Path repo = tmp.resolve("repo");
        new TestRepo(repo)
                .config(
                        "work",
                        "name: \"work\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 0\n"
                                + "input [ { name: \"input\" data_type: TYPE_FP32 dims: [ -1, " + WIDTH + " ] } ]\n"
                                + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ -1, 4 ] } ]\n")
                .file(
                        "work",
                        1,
                        OnnxModelBuilder.mlp()
                                .inputDim(WIDTH)
                                .width(WIDTH)
                                .depth(8)
                                .outputDim(4)
                                .seed(2)
                                .build());
        Path tenants = tmp.resolve("tenants.yaml");
        Files.writeString(
                tenants,
                "tenants:\n"
                        + "  - {id: a, key_sha256: [" + TenantPolicy.sha256Hex(KEY_A)
                        + "], models: ['*'], max_in_flight: 64, max_queued: 64}\n"
                        + "  - {id: b, key_sha256: [" + TenantPolicy.sha256Hex(KEY_B)
                        + "], models: ['*'], rate: 5, burst: 1}\n");
        NodeConfig config = NodeFixture.config(repo, tmp.resolve("data"), 512L << 20, ControlMode.POLL)
                .withTenants(tenants);
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config)))) {
            Map<String, String> a = Map.of("authorization", "Bearer " + KEY_A);
            Map<String, String> b = Map.of("authorization", "Bearer " + KEY_B);
            ModelInferRequest heavy = fp32("work", "input", ramp(1024 * WIDTH, 0.01f), 1024, WIDTH);
            ModelInferRequest light = fp32("work", "input", ramp(WIDTH, 0.01f), 1, WIDTH);
            f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, light, a).ok(); // loaded

            // A queues a backlog of 12 heavy requests; then B sends one.
            AtomicInteger order = new AtomicInteger();
            List<Future<OipClient.Reply<ModelInferResponse>>> backlog = new ArrayList<>();
            List<Integer> aDone = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 12; i++) {
                backlog.add(f.client
                        .callAsync(GRPCInferenceServiceGrpcClient.ModelInfer, heavy, a, 0)
                        .andThen(ar -> aDone.add(order.incrementAndGet())));
            }
            Awaitility.await()
                    .atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> f.client
                            .getWithToken("/metrics")
                            .body()
                            .matches("(?s).*modelmux_device_queue_depth\\{device=\"cpu0\"} ([4-9]|1[0-9])\\.0.*"));
            int aDoneBeforeB = aDone.size();
            OipClient.Reply<ModelInferResponse> bReply =
                    NodeFixture.await(f.client.callAsync(GRPCInferenceServiceGrpcClient.ModelInfer, light, b, 0));
            int bPosition = order.incrementAndGet();
            assertThat(bReply.status()).as(bReply.message()).isEqualTo(GrpcStatus.OK);
            backlog.forEach(x -> assertThat(NodeFixture.await(x).status()).isEqualTo(GrpcStatus.OK));
            // In a FIFO, B would finish after all 12 of A's; with fair queuing it waits for at most the
            // device's concurrency limit of A's already running plus one of A's turns.
            assertThat(bPosition - aDoneBeforeB)
                    .as("A's requests that finished between B's arrival and B's answer")
                    .isLessThanOrEqualTo(1 + 8 + 1);
            assertThat(bPosition).as("B's place among the 13 completions").isLessThan(13);

            // B's rate quota (5/s, burst 1): the second request at once is refused with a hint, and after
            // the hinted time B is served again.
            OipClient.Reply<ModelInferResponse> first =
                    f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, light, b);
            OipClient.Reply<ModelInferResponse> second =
                    f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, light, b);
            assertThat(List.of(first.status(), second.status())).contains(GrpcStatus.RESOURCE_EXHAUSTED);
            Awaitility.await()
                    .atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> f.client
                                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, light, b)
                                    .status()
                            == GrpcStatus.OK);
        }
    }
}
