package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import dev.modelmux.admission.sched.DeviceQueue;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hedged forwards on a real three-node mesh: node a has no room for the model, b and c hold READY
 * copies (min_copies 2). Once a has learnt the forward latency, b's device is held so that a forward
 * to b never answers: the request is hedged to c after the model's recent p95 and c's answer is the
 * one the client gets.
 */
class HedgingTest {
    @TempDir
    Path tmp;

    @Test
    void aForwardStuckOnOneHolderIsAnsweredByTheOtherThroughAHedge() {
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        repo.config(
                        "hot",
                        TestRepo.mlpConfig("hot", 16, 4, 8)
                                + "parameters { key: \"min_copies\" value { string_value: \"2\" } }\n")
                .file("hot", 1, TestRepo.mlpBytes(16, 4, 2_000_000, 7));
        float[] x = ramp(16, 1f);
        List<NodeFixture> nodes = new ArrayList<>();
        try {
            // a: 1 MiB, no room for a ~3 MB model, so every request it takes is forwarded.
            NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 1L << 20, "node-a", List.of());
            nodes.add(a);
            String seed = "127.0.0.1:" + a.node.clusterPort();
            NodeFixture b = NodeFixture.startMesh(repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of(seed));
            nodes.add(b);
            NodeFixture c = NodeFixture.startMesh(repo.root, tmp.resolve("c"), 256L << 20, "node-c", List.of(seed));
            nodes.add(c);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> readyHolders(a, "hot").containsAll(List.of("node-b", "node-c")));
            float[] expected = floats(
                    c.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("hot", "input", x, 1, 16))
                            .ok(),
                    0);

            // Enough answered forwards for a to know the model's p95 (and to earn hedge budget).
            for (int i = 0; i < 40; i++) {
                assertThat(floats(call(a, x).ok(), 0)).containsExactly(expected, within(0f));
            }
            // (A forward slower than the p95 may already have been hedged: that is what hedging is for.)
            double wonBefore = hedges(a, "won");

            int calls = 0;
            int answered = 0;
            try (DeviceQueue.Hold stuck = b.node.schedulers().hold("cpu0")) {
                // Each request goes to b or c first at random; one that goes to b is hedged to c when the
                // model's hedge budget allows (warm-up may have spent some; each forward earns 5% of one).
                // One that goes to b without budget waits on b's held device until its deadline.
                while (hedges(a, "won") == wonBefore) {
                    assertThat(calls++)
                            .as("requests sent without a hedge winning")
                            .isLessThan(200);
                    Reply<ModelInferResponse> r = call(a, x, 5_000);
                    if (r.status() == GrpcStatus.OK) {
                        answered++;
                        assertThat(floats(r.body(), 0)).containsExactly(expected, within(0f));
                    } else {
                        assertThat(r.status()).as(r.message()).isEqualTo(GrpcStatus.DEADLINE_EXCEEDED);
                    }
                }
            }
            assertThat(answered).isPositive();
            assertThat(hedges(a, "sent")).isGreaterThanOrEqualTo(1);
            // b serves again once its device is free.
            assertThat(floats(call(b, x).ok(), 0)).containsExactly(expected, within(0f));
        } finally {
            for (NodeFixture n : nodes) {
                n.close();
            }
        }
    }

    private static Reply<ModelInferResponse> call(NodeFixture f, float[] x) {
        return call(f, x, NodeFixture.PATIENCE.toMillis());
    }

    private static Reply<ModelInferResponse> call(NodeFixture f, float[] x, long deadlineMillis) {
        return NodeFixture.await(f.client.callAsync(
                GRPCInferenceServiceGrpcClient.ModelInfer, fp32("hot", "input", x, 1, 16), Map.of(), deadlineMillis));
    }

    private static double hedges(NodeFixture f, String outcome) {
        Matcher m = Pattern.compile("modelmux_forward_hedges_total\\{outcome=\"" + outcome + "\"\\} ([0-9.]+)")
                .matcher(f.client.getWithToken("/metrics").body());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static List<String> readyHolders(NodeFixture f, String model) {
        return f.node.copies(model, 1).stream()
                .filter(c -> c.endsWith(":READY"))
                .map(c -> c.substring(0, c.indexOf('/')))
                .toList();
    }
}
