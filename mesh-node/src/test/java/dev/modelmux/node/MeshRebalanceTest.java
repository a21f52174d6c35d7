package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that joins relieves a device filled above its high-water mark: copies move onto it. */
class MeshRebalanceTest {
    // Tiny models under a small budget: each load moves the fill by a few percent at most (a measured
    // footprint is capped at 8x the prediction), so filling stops inside (0.9, 1.0] before any eviction.
    private static final int MODELS = 200;
    private static final long BUDGET = 2L << 20;

    @TempDir
    Path tmp;

    @Test
    void aJoiningNodeTakesCopiesFromAnOverFullDevice() {
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        for (int i = 0; i < MODELS; i++) {
            repo.mlp("r" + i, 1, 16, 4, 10_000, i);
        }
        List<NodeFixture> nodes = new ArrayList<>();
        try {
            NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), BUDGET, "node-a", List.of());
            nodes.add(a);
            // Fill node-a's device above 90% (bounded: at most every model once).
            for (int i = 0; i < MODELS && fill(a) <= 0.9; i++) {
                a.client
                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("r" + i, "input", ramp(16, 1f), 1, 16))
                        .ok();
            }
            assertThat(fill(a)).isGreaterThan(0.9);

            NodeFixture b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), BUDGET, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            nodes.add(b);
            // No request goes to node-b: whatever it holds was moved there.
            await().atMost(NodeFixture.PATIENCE).until(() -> residents(b) > 0 && fill(a) <= 0.9);
            for (DeviceSnapshot d : b.node.pool().snapshot()) {
                assertThat(d.usedBytes() + d.reservedBytes())
                        .isLessThanOrEqualTo(d.spec().capacityBytes());
            }
        } finally {
            for (NodeFixture n : nodes) {
                n.close();
            }
        }
    }

    private static double fill(NodeFixture f) {
        DeviceSnapshot d = f.node.pool().snapshot().get(0);
        return (double) (d.usedBytes() + d.reservedBytes()) / d.spec().capacityBytes();
    }

    private static long residents(NodeFixture f) {
        return f.node.pool().snapshot().get(0).residents().stream()
                .filter(r -> r.state() == DeviceSnapshot.State.READY)
                .count();
    }
}
