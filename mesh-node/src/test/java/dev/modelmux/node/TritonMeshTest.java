package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelReadyRequest;
import dev.modelmux.node.oip.ModelStatistics;
import dev.modelmux.node.oip.ModelStatisticsRequest;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Readiness, the repository index and the statistics extension as a client of one node sees the mesh:
 * a model that only another node can hold is ready here and indexed READY with the holder named, and
 * its statistics asked here sum what every node measured (each request counted once, where it ran).
 */
class TritonMeshTest {
    @TempDir
    Path tmp;

    @Test
    void aModelHeldByAPeerIsReadyIndexedAndCountedHere() {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 2_000_000, 3);
        // Node a has no room for the model: only b can hold it.
        try (NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 1L << 20, "a", List.of());
                NodeFixture b = NodeFixture.startMesh(
                        repo.root, tmp.resolve("b"), 256L << 20, "b", List.of("127.0.0.1:" + a.node.clusterPort()))) {
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().contains("b")
                            && b.node.meshNodes().contains("a"));

            assertThat(ready(a)).as("ready before any load").isTrue();
            assertThat(index(a).getState()).isEqualTo("UNAVAILABLE");

            for (int i = 0; i < 5; i++) {
                b.client
                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", ramp(16, i), 1, 16))
                        .ok();
            }
            await().atMost(NodeFixture.PATIENCE).until(() -> index(a).getState().equals("READY"));
            assertThat(index(a).getReason()).isEqualTo("ready on node b");
            assertThat(ready(a)).isTrue();

            for (int i = 0; i < 3; i++) {
                a.client
                        .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", ramp(16, i), 1, 16))
                        .ok();
            }
            ModelStatistics viaA = stats(a);
            assertThat(viaA.getInferenceCount()).isEqualTo(8);
            assertThat(viaA.getInferenceStats().getSuccess().getCount()).isEqualTo(8);
            assertThat(viaA.getExecutionCount()).isBetween(1L, 8L);
            assertThat(stats(b).getInferenceCount())
                    .as("the same sum from either node")
                    .isEqualTo(8);
        }
    }

    static boolean ready(NodeFixture f) {
        return f.client
                .call(
                        GRPCInferenceServiceGrpcClient.ModelReady,
                        ModelReadyRequest.newBuilder().setName("m").build())
                .ok()
                .getReady();
    }

    static RepositoryIndexResponse.ModelIndex index(NodeFixture f) {
        return f.client
                .call(GRPCInferenceServiceGrpcClient.RepositoryIndex, RepositoryIndexRequest.getDefaultInstance())
                .ok()
                .getModels(0);
    }

    static ModelStatistics stats(NodeFixture f) {
        return f.client
                .call(
                        GRPCInferenceServiceGrpcClient.ModelStatistics,
                        ModelStatisticsRequest.newBuilder()
                                .setName("m")
                                .setVersion("1")
                                .build())
                .ok()
                .getModelStats(0);
    }
}
