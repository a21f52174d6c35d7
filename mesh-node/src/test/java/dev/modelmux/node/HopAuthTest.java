package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.security.HopSigner;
import dev.modelmux.node.security.HopTag;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Forwarded requests between two real nodes are authenticated by hop tags, never by the cluster
 * secret: a raw gRPC client that sends the secret itself, a forged tag, a replayed set of hop headers,
 * a stale one, or a tag made for one model with a message for another, is refused UNAUTHENTICATED, and
 * all but the last before a byte of its message is parsed.
 */
class HopAuthTest {
    private static final String INFER = "inference.GRPCInferenceService/ModelInfer";
    /** Not a ModelInfer message: parsing it fails and is counted as undecodable. */
    private static final byte[] UNDECODABLE = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};

    @TempDir
    Path tmp;

    @Test
    void onlyAFreshTagForThisCallOpensAHop() throws Exception {
        TestRepo repo =
                new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3).mlp("n", 1, 16, 4, 200_000, 4);
        float[] x = ramp(16, 1f);
        // a has no room for m (~300 KiB): what a answers for m, b answered through a forward.
        try (NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 64L << 10, "node-a", List.of());
                NodeFixture b = NodeFixture.startMesh(
                        repo.root,
                        tmp.resolve("b"),
                        256L << 20,
                        "node-b",
                        List.of("127.0.0.1:" + a.node.clusterPort()))) {
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().contains("node-b")
                            && b.node.meshNodes().contains("node-a"));

            // A forward works end to end: b loads m, a forwards to b.
            float[] atB = floats(
                    b.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                            .ok(),
                    0);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).size() == 1);
            ModelInferResponse viaA = a.client
                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                    .ok();
            assertThat(floats(viaA, 0)).containsExactly(atB);
            assertThat(a.client.getWithToken("/metrics").body()).contains("outcome=\"forwarded\"");
            assertThat(metric(b, "modelmux_hop_refused_total")).isZero();

            byte[] hopKey = ClusterSecret.of(NodeFixture.CLUSTER_SECRET).hopKey();
            HopSigner signer = new HopSigner(hopKey, System::currentTimeMillis, new SecureRandom());
            GrpcClient raw = GrpcClient.client(b.node.vertx());
            SocketAddress bAddress = SocketAddress.inetSocketAddress(b.node.grpcPort(), "127.0.0.1");
            try {
                // Control: past a valid tag, the message is parsed (and this one cannot be).
                Answer control = send(raw, bAddress, signer.headers(INFER, "m", "", 0), UNDECODABLE);
                assertThat(control.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
                assertThat(undecodable(b)).isEqualTo(1);

                // The cluster secret itself, as hops were once authenticated.
                Answer secret = send(
                        raw,
                        bAddress,
                        Map.of(HopTag.HOP_HEADER, "1", "x-modelmux-cluster-secret", NodeFixture.CLUSTER_SECRET),
                        UNDECODABLE);
                assertRefused(secret);
                assertThat(secret.message()).doesNotContain(NodeFixture.CLUSTER_SECRET);

                // A tag made with another key.
                HopSigner forger =
                        new HopSigner(ClusterSecret.random().hopKey(), System::currentTimeMillis, new SecureRandom());
                assertRefused(send(raw, bAddress, forger.headers(INFER, "m", "", 0), UNDECODABLE));
                assertThat(metric(b, "modelmux_hop_refused_total{reason=\"bad_tag\"}"))
                        .isEqualTo(2);

                // A set of headers seen on the wire, sent again: refused, whatever message follows.
                Map<String, String> captured = signer.headers(INFER, "m", "", 0);
                assertThat(send(
                                        raw,
                                        bAddress,
                                        captured,
                                        fp32("m", "input", x, 1, 16).toByteArray())
                                .status())
                        .isEqualTo(GrpcStatus.OK);
                assertRefused(send(raw, bAddress, captured, UNDECODABLE));
                assertThat(metric(b, "modelmux_hop_refused_total{reason=\"replay\"}"))
                        .isEqualTo(1);

                // A tag made a minute ago.
                HopSigner late = new HopSigner(hopKey, () -> System.currentTimeMillis() - 60_000, new SecureRandom());
                assertRefused(send(raw, bAddress, late.headers(INFER, "m", "", 0), UNDECODABLE));
                assertThat(metric(b, "modelmux_hop_refused_total{reason=\"stale\"}"))
                        .isEqualTo(1);

                // None of those messages was parsed.
                assertThat(undecodable(b)).isEqualTo(1);

                // A tag for m with a message for n: refused once parsed, and n is not loaded for it.
                Answer swapped = send(
                        raw,
                        bAddress,
                        signer.headers(INFER, "m", "", 0),
                        fp32("n", "input", x, 1, 16).toByteArray());
                assertRefused(swapped);
                assertThat(metric(b, "modelmux_hop_refused_total{reason=\"bad_tag\"}"))
                        .isEqualTo(3);
                assertThat(b.node.pool().resident(new ModelKey("n", 1))).isEmpty();
            } finally {
                NodeFixture.await(raw.close());
            }
            // Forwarding still works after all that.
            assertThat(a.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                            .ok()
                            .getModelName())
                    .isEqualTo("m");
        }
    }

    private static void assertRefused(Answer answer) {
        assertThat(answer.status()).as(answer.message()).isEqualTo(GrpcStatus.UNAUTHENTICATED);
        assertThat(answer.message()).doesNotContain("x-modelmux");
    }

    private record Answer(GrpcStatus status, String message) {}

    /** One ModelInfer call with {@code body} as its raw message. */
    private static Answer send(GrpcClient raw, SocketAddress to, Map<String, String> headers, byte[] body) {
        ServiceMethod<Buffer, Buffer> m = ServiceMethod.client(
                ServiceName.create("inference.GRPCInferenceService"),
                "ModelInfer",
                GrpcMessageEncoder.IDENTITY,
                GrpcMessageDecoder.IDENTITY);
        return NodeFixture.await(raw.request(to, m)
                .compose(req -> {
                    headers.forEach(req.headers()::set);
                    req.endMessage(GrpcMessage.message("identity", Buffer.buffer(body)));
                    return req.response();
                })
                .compose(resp -> resp.end()
                        .transform(ar -> Future.succeededFuture(
                                new Answer(resp.status(), String.valueOf(resp.statusMessage())))))
                .recover(t -> Future.succeededFuture(new Answer(null, String.valueOf(t)))));
    }

    private static double undecodable(NodeFixture f) {
        return metric(f, "modelmux_grpc_undecodable_messages_total{method=\"ModelInfer\"}");
    }

    /** The sum of the samples whose line starts with {@code prefix} (0 when none). */
    private static double metric(NodeFixture f, String prefix) {
        String p = prefix.endsWith("}") ? prefix.substring(0, prefix.length() - 1) : prefix;
        return f.client
                .getWithToken("/metrics")
                .body()
                .lines()
                .filter(l -> l.startsWith(p))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .sum();
    }
}
