package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.admin;
import static dev.modelmux.node.EndpointSupport.decide;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.predlog.JoinLabelsCommand;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Labels land on whichever node a client (or a Kubernetes Service) picked, predictions stay on the
 * node that served them: labels posted to node A join the predictions node B logged once
 * join-labels reads both nodes' data directories, and it says how many labels found no prediction.
 */
class LabelsAcrossNodesTest {
    @TempDir
    Path tmp;

    @Test
    void labelsPostedToNodeAJoinPredictionsLoggedOnNodeB() throws Exception {
        Path example = DurableLogTest.example(tmp);
        Path dataA = tmp.resolve("a");
        Path dataB = tmp.resolve("b");
        try (NodeFixture a = node(example, dataA, "a", List.of());
                NodeFixture b = node(example, dataB, "b", List.of("127.0.0.1:" + a.node.clusterPort()))) {
            for (int i = 0; i < 20; i++) {
                EndpointSupport.Reply r = decide(
                        b,
                        new JsonObject()
                                .put("request_id", "b-" + i)
                                .put("entity_id", "user-" + i)
                                .put("model_name", "example"));
                assertThat(r.status()).as(r.body()).isEqualTo(200);
            }
            JsonArray labels = new JsonArray();
            for (int i = 0; i < 5; i++) {
                labels.add(new JsonObject().put("request_id", "b-" + i).put("label", i % 2));
            }
            labels.add(new JsonObject().put("request_id", "never-decided").put("label", 1));
            EndpointSupport.Reply posted = admin(
                    a,
                    "POST",
                    "/api/v1/labels",
                    new JsonObject().put("labels", labels).encode());
            assertThat(posted.status()).as(posted.body()).isEqualTo(200);
        } // graceful stops close both logs

        Path out = tmp.resolve("dataset.jsonl");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        assertThat(JoinLabelsCommand.run(
                        List.of(
                                "--data-dir",
                                dataA.toString(),
                                "--data-dir",
                                dataB.toString(),
                                "--out",
                                out.toString()),
                        new PrintStream(stdout),
                        System.err,
                        System::currentTimeMillis))
                .isZero();
        assertThat(Files.readAllLines(out, StandardCharsets.UTF_8))
                .extracting(l -> new JsonObject(l).getString("request_id") + "=" + new JsonObject(l).getValue("label"))
                .containsExactlyInAnyOrder("b-0=0", "b-1=1", "b-2=0", "b-3=1", "b-4=0");
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .contains("5 rows written")
                .contains("20 predictions read")
                .contains("1 labelled ids with no logged prediction");

        // Node A's directory alone: its labels find nothing.
        ByteArrayOutputStream aloneOut = new ByteArrayOutputStream();
        assertThat(JoinLabelsCommand.run(
                        List.of("--data-dir", dataA.toString(), "--out", out.toString()),
                        new PrintStream(aloneOut),
                        System.err,
                        System::currentTimeMillis))
                .isZero();
        assertThat(aloneOut.toString(StandardCharsets.UTF_8))
                .contains("0 rows written")
                .contains("6 labelled ids with no logged prediction");
    }

    private static NodeFixture node(Path example, Path data, String id, List<String> peers) {
        NodeConfig config = NodeFixture.config(example, data, 256L << 20, ControlMode.POLL)
                .withCluster(ClusterConfig.defaults().withNodeId(id).withPeers(peers), NodeFixture.CLUSTER_SECRET)
                .withEndpoints(example.resolve("endpoints.yaml"));
        return new NodeFixture(NodeFixture.await(MeshNode.start(config)));
    }
}
