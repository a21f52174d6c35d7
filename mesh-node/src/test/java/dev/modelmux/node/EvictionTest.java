package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.node.internal.ModelManager;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lazy loading and LRU eviction under a budget that holds two of three models. */
class EvictionTest {
  @TempDir Path tmp;

  @Test
  void loadsLazilyEvictsTheLeastRecentlyUsedAndNeverExceedsTheBudget() {
    long weights = 4L << 20;
    TestRepo repo = new TestRepo(tmp.resolve("repo"));
    for (String m : List.of("m1", "m2", "m3")) {
      repo.mlp(m, 1, 16, 4, weights, m.hashCode());
    }
    // Predicted footprint is ~1.5 x 4 MiB: two fit in 14 MiB, three do not.
    long budget = 14L << 20;
    try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), budget, ModelManager.ControlMode.POLL)) {
      assertThat(ready(f)).isEmpty();
      for (String m : List.of("m1", "m2", "m3", "m1", "m3", "m2")) {
        assertThat(f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32(m, "input", ramp(16, 1f), 1, 16)).ok()
            .getModelName()).isEqualTo(m);
        for (DeviceSnapshot d : f.node.pool().snapshot()) {
          assertThat(d.usedBytes() + d.reservedBytes()).isLessThanOrEqualTo(d.spec().capacityBytes());
        }
        assertThat(ready(f)).hasSizeLessThanOrEqualTo(2).contains(m);
      }
      String metrics = f.client.get("/metrics").body();
      assertThat(metrics).containsPattern("modelmux_model_evictions_total\\{[^}]*\\} [1-9]");
    }
  }

  static List<String> ready(NodeFixture f) {
    RepositoryIndexResponse idx = f.client.call(GRPCInferenceServiceGrpcClient.RepositoryIndex,
        RepositoryIndexRequest.newBuilder().setReady(true).build()).ok();
    return idx.getModelsList().stream().map(RepositoryIndexResponse.ModelIndex::getName).toList();
  }
}
