package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Models with min_copies are placed without waiting for traffic, and again when a holder dies; a node rejoins. */
class MeshPlacementTest {
    @TempDir
    Path tmp;

    @Test
    void minCopiesArePlacedAtOnceAndRestoredAfterANodeDiesAndTheNodeRejoins() {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("plain", 1, 16, 4, 100_000, 1);
        repo.config(
                        "hot",
                        TestRepo.mlpConfig("hot", 16, 4, 8)
                                + "parameters { key: \"min_copies\" value { string_value: \"2\" } }\n"
                                + "parameters { key: \"pinned\" value { string_value: \"true\" } }\n")
                .file("hot", 1, TestRepo.mlpBytes(16, 4, 100_000, 2));
        List<NodeFixture> nodes = new ArrayList<>();
        try {
            NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 256L << 20, "node-a", List.of());
            nodes.add(a);
            String seed = "127.0.0.1:" + a.node.clusterPort();
            nodes.add(NodeFixture.startMesh(repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of(seed)));
            nodes.add(NodeFixture.startMesh(repo.root, tmp.resolve("c"), 256L << 20, "node-c", List.of(seed)));

            // Two copies on two nodes, without a single request.
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> readyHolders(a, "hot").size() == 2);
            assertThat(readyHolders(a, "plain")).isEmpty();

            // One holder dies: the floor is restored on the survivors.
            String victim = readyHolders(a, "hot").stream()
                    .filter(h -> !h.equals("node-a"))
                    .findFirst()
                    .orElseThrow();
            NodeFixture dead = nodes.stream()
                    .filter(n -> n.node.nodeId().equals(victim))
                    .findFirst()
                    .orElseThrow();
            nodes.remove(dead);
            NodeFixture.await(dead.node.crash());
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> readyHolders(a, "hot").size() == 2
                            && !readyHolders(a, "hot").contains(victim));

            // The dead node restarts with the same id and rejoins cleanly.
            NodeFixture back =
                    NodeFixture.startMesh(repo.root, tmp.resolve("again"), 256L << 20, victim, List.of(seed));
            nodes.add(back);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().size() == 3
                            && back.node.meshNodes().size() == 3);
            assertThat(back.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("hot", "input", ramp(16, 1f), 1, 16))
                            .ok()
                            .getModelName())
                    .isEqualTo("hot");
        } finally {
            for (NodeFixture n : nodes) {
                n.close();
            }
        }
    }

    private static List<String> readyHolders(NodeFixture f, String model) {
        return f.node.copies(model, 1).stream()
                .filter(c -> c.endsWith(":READY"))
                .map(c -> c.substring(0, c.indexOf('/')))
                .toList();
    }
}
