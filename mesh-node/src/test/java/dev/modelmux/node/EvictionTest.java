package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lazy loading and eviction under a budget smaller than the models' total. */
class EvictionTest {
    @TempDir
    Path tmp;

    @Test
    void loadsLazilyEvictsWhenFullAndNeverExceedsTheBudget() {
        // Eight models of 2 MiB of weights under a 14 MiB budget: their weights alone (a floor of
        // every measured footprint) exceed it, so serving them all must evict; any one of them fits.
        long weights = 2L << 20;
        long budget = 14L << 20;
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            names.add("m" + i);
            repo.mlp("m" + i, 1, 16, 4, weights, i);
        }
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), budget, ControlMode.POLL)) {
            assertThat(ready(f)).isEmpty();
            List<String> sequence = new ArrayList<>(names);
            sequence.addAll(List.of("m0", "m7", "m3", "m0", "m5"));
            for (String m : sequence) {
                assertThat(f.client
                                .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32(m, "input", ramp(16, 1f), 1, 16))
                                .ok()
                                .getModelName())
                        .isEqualTo(m);
                for (DeviceSnapshot d : f.node.pool().snapshot()) {
                    assertThat(d.usedBytes() + d.reservedBytes())
                            .isLessThanOrEqualTo(d.spec().capacityBytes());
                }
                assertThat(ready(f)).contains(m).hasSizeLessThan(names.size());
            }
            String metrics = f.client.getWithToken("/metrics").body();
            assertThat(metrics).containsPattern("modelmux_model_evictions_total\\{[^}]*\\} [1-9]");
        }
    }

    static List<String> ready(NodeFixture f) {
        RepositoryIndexResponse idx = f.client
                .call(
                        GRPCInferenceServiceGrpcClient.RepositoryIndex,
                        RepositoryIndexRequest.newBuilder().setReady(true).build())
                .ok();
        return idx.getModelsList().stream()
                .map(RepositoryIndexResponse.ModelIndex::getName)
                .toList();
    }
}
