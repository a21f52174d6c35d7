package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import ai.onnxruntime.OnnxTensor;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes on loopback, more models than the mesh can hold, Zipf traffic sent to one node:
 * every answer correct, budgets never exceeded, copies spread over all three nodes; then a node
 * dies abruptly mid-traffic and no request is lost or wrong.
 */
class MeshScaleTest {
    private static final int MODELS = 200;
    private static final long BUDGET = 24L << 20;

    @TempDir
    Path tmp;

    @Test
    void zipfTrafficToOneNodeSpreadsCopiesAndSurvivesAKill() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        Map<String, byte[]> bytes = new HashMap<>();
        for (int i = 0; i < MODELS; i++) {
            String name = "z" + i;
            byte[] b = TestRepo.mlpBytes(16, 4, 300_000, 1000 + i);
            bytes.put(name, b);
            repo.config(name, TestRepo.mlpConfig(name, 16, 4, 8)).file(name, 1, b);
        }
        float[] x = ramp(16, 1f);
        Map<String, float[]> expected = new HashMap<>();
        List<NodeFixture> nodes = new ArrayList<>();
        try {
            NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), BUDGET, "node-a", List.of());
            nodes.add(a);
            String seed = "127.0.0.1:" + a.node.clusterPort();
            nodes.add(NodeFixture.startMesh(repo.root, tmp.resolve("b"), BUDGET, "node-b", List.of(seed)));
            nodes.add(NodeFixture.startMesh(repo.root, tmp.resolve("c"), BUDGET, "node-c", List.of(seed)));
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> nodes.stream().allMatch(n -> n.node.meshNodes().size() == 3));

            SplittableRandom random = new SplittableRandom(7);
            double[] zipf = zipf(MODELS, 1.0);
            Set<String> holders = new HashSet<>();
            // Six requests at node a, checked; then which nodes hold a ready copy.
            Runnable round = () -> {
                List<String> batch = new ArrayList<>();
                List<Future<Reply<ModelInferResponse>>> calls = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    String model = "z" + sample(zipf, random);
                    batch.add(model);
                    calls.add(a.node.vertx()
                            .executeBlocking(
                                    () -> a.client.call(
                                            GRPCInferenceServiceGrpcClient.ModelInfer, fp32(model, "input", x, 1, 16)),
                                    false));
                }
                for (int i = 0; i < calls.size(); i++) {
                    ModelInferResponse r = NodeFixture.await(calls.get(i)).ok();
                    float[] want = expected.computeIfAbsent(batch.get(i), m -> reference(bytes.get(m), x));
                    assertThat(floats(r, 0)).as(batch.get(i)).containsExactly(want, within(1e-6f));
                }
                for (NodeFixture n : nodes) {
                    for (DeviceSnapshot d : n.node.pool().snapshot()) {
                        assertThat(d.usedBytes() + d.reservedBytes())
                                .isLessThanOrEqualTo(d.spec().capacityBytes());
                        if (d.residents().stream().anyMatch(res -> res.state() == DeviceSnapshot.State.READY)) {
                            holders.add(n.node.nodeId());
                        }
                    }
                }
            };
            for (int i = 0; i < 40; i++) {
                round.run();
            }
            // On a loaded machine the copy scaler may need more traffic to spread the hot models.
            await().atMost(NodeFixture.PATIENCE).pollInSameThread().until(() -> {
                if (holders.size() < 3) {
                    round.run();
                }
                return holders.size() == 3;
            });
            assertThat(holders).containsExactlyInAnyOrder("node-a", "node-b", "node-c");
            assertThat(a.client.getWithToken("/metrics").body()).contains("outcome=\"forwarded\"");

            // node-c dies abruptly while requests keep coming to node-a.
            NodeFixture c = nodes.remove(2);
            List<String> cModels = new ArrayList<>();
            for (DeviceSnapshot d : c.node.pool().snapshot()) {
                d.residents().forEach(res -> cModels.add(res.key().model()));
            }
            assertThat(cModels).isNotEmpty();
            List<Future<Reply<ModelInferResponse>>> during = new ArrayList<>();
            List<String> duringModels = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                String model = cModels.get(i % cModels.size());
                duringModels.add(model);
                during.add(a.node.vertx()
                        .executeBlocking(
                                () -> a.client.call(
                                        GRPCInferenceServiceGrpcClient.ModelInfer, fp32(model, "input", x, 1, 16)),
                                false));
                if (i == 3) {
                    NodeFixture.await(c.node.crash());
                }
            }
            for (int i = 0; i < during.size(); i++) {
                Reply<ModelInferResponse> r = NodeFixture.await(during.get(i));
                // Either the right answer or a retriable UNAVAILABLE; never a wrong one.
                if (r.status() == GrpcStatus.OK) {
                    assertThat(floats(r.body(), 0))
                            .containsExactly(
                                    expected.computeIfAbsent(duringModels.get(i), m -> reference(bytes.get(m), x)),
                                    within(1e-6f));
                } else {
                    assertThat(r.status()).as(r.message()).isEqualTo(GrpcStatus.UNAVAILABLE);
                }
            }
            // The survivors take over its models.
            for (String model : cModels) {
                await().atMost(NodeFixture.PATIENCE)
                        .until(() -> a.client
                                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32(model, "input", x, 1, 16))
                                        .status()
                                == GrpcStatus.OK);
                assertThat(floats(
                                a.client
                                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32(model, "input", x, 1, 16))
                                        .ok(),
                                0))
                        .containsExactly(
                                expected.computeIfAbsent(model, m -> reference(bytes.get(m), x)), within(1e-6f));
            }
        } finally {
            for (NodeFixture n : nodes) {
                n.close();
            }
        }
    }

    private static float[] reference(byte[] model, float[] x) {
        try {
            return Requests.reference(
                    model,
                    Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 16})),
                    "output");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double[] zipf(int n, double skew) {
        double[] cdf = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += 1 / Math.pow(i + 1, skew);
            cdf[i] = sum;
        }
        for (int i = 0; i < n; i++) {
            cdf[i] /= sum;
        }
        return cdf;
    }

    private static int sample(double[] cdf, SplittableRandom random) {
        double u = random.nextDouble();
        int i = Arrays.binarySearch(cdf, u);
        return i >= 0 ? i : Math.min(cdf.length - 1, -i - 1);
    }
}
