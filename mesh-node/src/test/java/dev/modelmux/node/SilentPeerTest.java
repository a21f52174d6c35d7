package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A holder that goes silent (its process frozen with SIGSTOP: connections stay open, nothing
 * answers, as in a partition that drops packets) must not hold forwarded requests until their
 * deadline: the forward's PINGs go unanswered, the peer is suspected, and the receiving node serves
 * the request itself, long before the cluster's failure detector notices.
 */
class SilentPeerTest {
    @TempDir
    Path tmp;

    @Test
    void aForwardToAFrozenHolderIsServedElsewhereWithinItsDeadline() throws Exception {
        Path repo = tmp.resolve("repo");
        new TestRepo(repo).mlp("m", 1, 16, 4, 4096, 11);
        ModelInferRequest req = fp32("m", "input", ramp(16, 1f), 1, 16);
        try (NodeFixture a = NodeFixture.startMesh(repo, tmp.resolve("a"), 256L << 20, "a", List.of());
                ChildNode b = ChildNode.start(
                        tmp.resolve("b"),
                        ChildNode.meshArgs(
                                "b",
                                repo,
                                a.node.clusterPort(),
                                tmp.resolve("b/data"),
                                "cpu0=64MiB",
                                "--poll-interval",
                                "1s"));
                OipClient toB = new OipClient(a.node.vertx(), b.grpcPort, b.httpPort)) {
            Awaitility.await("b in a's view of the mesh")
                    .atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().contains("b"));
            // Only b holds the model: a forwards what it receives.
            assertThat(toB.post(
                                    "/v2/repository/models/m/load",
                                    "",
                                    "authorization",
                                    "Bearer " + NodeFixture.ADMIN_TOKEN)
                            .status())
                    .isEqualTo(200);
            Awaitility.await("a sees b's READY copy")
                    .atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).contains("b/cpu0:READY"));
            float[] expected = floats(
                    toB.call(GRPCInferenceServiceGrpcClient.ModelInfer, req).ok(), 0);
            assertThat(floats(
                            a.client
                                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, req)
                                    .ok(),
                            0))
                    .containsExactly(expected, within(0f));
            assertThat(a.node.copies("m", 1)).noneMatch(c -> c.startsWith("a/"));

            signal("STOP", b.pid());
            try {
                // The forward to b gets no answer: within about a second a gives up on b and loads the
                // model itself. Before, the call waited for its whole deadline.
                Reply<ModelInferResponse> r = NodeFixture.await(
                        a.client.callAsync(GRPCInferenceServiceGrpcClient.ModelInfer, req, Map.of(), 15_000));
                assertThat(r.status()).as(r.message()).isEqualTo(GrpcStatus.OK);
                assertThat(floats(r.body(), 0)).containsExactly(expected, within(0f));
                assertThat(EndpointSupport.metric(a, "modelmux_peer_suspected_total", "peer", "b"))
                        .isGreaterThanOrEqualTo(1);
                // While b stays suspected, a serves from its own copy without waiting on b again.
                Reply<ModelInferResponse> again = NodeFixture.await(
                        a.client.callAsync(GRPCInferenceServiceGrpcClient.ModelInfer, req, Map.of(), 15_000));
                assertThat(again.status()).as(again.message()).isEqualTo(GrpcStatus.OK);
            } finally {
                signal("CONT", b.pid());
            }
        }
    }

    private static void signal(String sig, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + sig, Long.toString(pid))
                .inheritIO()
                .start();
        assertThat(p.waitFor()).isZero();
    }
}
