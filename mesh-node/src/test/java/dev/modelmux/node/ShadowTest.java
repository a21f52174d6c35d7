package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.endpoint;
import static dev.modelmux.node.EndpointSupport.put;
import static dev.modelmux.node.EndpointSupport.single;
import static dev.modelmux.node.EndpointSupport.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.predlog.PredictionRecord;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.node.v1.DecideResponse;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shadow traffic on a real node: the same requests answer the same with the shadow on and off,
 * the shadow's results are logged under the primary's request id, and when the node is driven
 * into saturation the shadow copies are dropped while every primary request is still answered.
 */
class ShadowTest {
    @TempDir
    Path tmp;

    private static JsonObject withShadow(JsonObject endpoint, String model, long version, int maxInFlight) {
        endpoint.getJsonObject("policy")
                .put("shadow", target(model, version).put("sample", 1.0).put("max_in_flight", maxInFlight));
        return endpoint;
    }

    @Test
    void theShadowNeverChangesAResponseAndItsResultsAreLoggedForComparison() {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1, 2);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            ConcurrentLinkedQueue<PredictionRecord> records = new ConcurrentLinkedQueue<>();
            f.node.endpoints().onRecord(records::add);
            put(f, "sh", endpoint(single("risk", 1)));
            // One request at a time here, so that no shadow copy is dropped (the next test drops them).
            List<DecideResponse> off = decideOneByOne(f, "sh", 50);
            put(f, "sh", withShadow(endpoint(single("risk", 1)), "risk", 2, 4));
            List<DecideResponse> on = decideOneByOne(f, "sh", 50);
            for (int i = 0; i < off.size(); i++) {
                DecideResponse a = off.get(i);
                DecideResponse b = on.get(i);
                assertThat(b.toBuilder().setPolicyVersion(a.getPolicyVersion()).build())
                        .as("request %d", i)
                        .isEqualTo(a);
                assertThat(b.getPolicyVersion()).isEqualTo(Long.toString(Long.parseLong(a.getPolicyVersion()) + 1));
            }
            // Each primary request's shadow result is logged under its request id, from the shadow's version.
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> records.stream()
                                    .filter(r -> r.kind().equals("shadow"))
                                    .count()
                            >= 50);
            for (DecideResponse r : on) {
                PredictionRecord s = records.stream()
                        .filter(x -> x.kind().equals("shadow") && x.requestId().equals(r.getRequestId()))
                        .findFirst()
                        .orElseThrow();
                assertThat(s.model() + ":" + s.version()).isEqualTo("risk:2");
                assertThat(s.endpoint()).isEqualTo("sh");
                assertThat(s.score()).isNotNull();
                PredictionRecord primary = records.stream()
                        .filter(x -> x.kind().equals("decide") && x.requestId().equals(r.getRequestId()))
                        .findFirst()
                        .orElseThrow();
                assertThat(primary.score()).isEqualTo(r.getScore());
                assertThat(primary.features()).isEqualTo(s.features());
            }
            assertThat(EndpointSupport.metric(
                            f, "modelmux_endpoint_shadow_total", "endpoint", "sh", "outcome", "completed"))
                    .isGreaterThanOrEqualTo(50.0);

            // ModelInfer through the endpoint is shadowed too.
            ModelInferResponse infer = f.client
                    .call(
                            GRPCInferenceServiceGrpcClient.ModelInfer,
                            Requests.fp32("sh", "input", new float[] {35, 40000, 50, 1}, 1, 4).toBuilder()
                                    .setId("infer-1")
                                    .build())
                    .ok();
            assertThat(infer.getModelVersion()).isEqualTo("1");
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> records.stream()
                            .anyMatch(r ->
                                    r.kind().equals("shadow") && r.requestId().equals("infer-1") && r.version() == 2));
        }
    }

    @Test
    void underOverloadTheShadowIsDroppedAndEveryPrimaryRequestIsAnswered() {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 2);
        repo.config("heavy", EndpointSupport.scorerConfig("heavy", 4, EndpointSupport.METADATA))
                .file("heavy", 1, EndpointSupport.slowScorer(3));
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            put(f, "busy", withShadow(endpoint(single("heavy", 1)), "risk", 2, 2));
            // 64 decisions in flight at a time on a device that runs a few: its queue stays full.
            List<DecideResponse> answered = new ArrayList<>();
            for (int round = 0; round < 6; round++) {
                answered.addAll(decideAll(f, "busy", 64));
            }
            assertThat(answered)
                    .hasSize(6 * 64)
                    .allMatch(r -> r.getLadderStep().equals("primary")
                            && r.getModelVersion().equals("heavy:1"));
            double dropped = 0;
            for (String outcome : List.of("dropped_saturated", "dropped_in_flight", "shed")) {
                dropped += EndpointSupport.metric(
                        f, "modelmux_endpoint_shadow_total", "endpoint", "busy", "outcome", outcome);
            }
            assertThat(dropped).as("shadow copies dropped under overload").isPositive();
            await().atMost(NodeFixture.PATIENCE).until(() -> f.node.endpoints().shadowInFlight("busy") == 0);
        }
    }

    private static List<DecideResponse> decideOneByOne(NodeFixture f, String endpoint, int n) {
        List<DecideResponse> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(NodeFixture.await(EndpointSupport.decideGrpc(
                            f,
                            DecideRequest.newBuilder()
                                    .setModelName(endpoint)
                                    .setEntityId("entity-" + i)
                                    .setRequestId("request-" + i)
                                    .build(),
                            Map.of()))
                    .ok());
            await().atMost(NodeFixture.PATIENCE).until(() -> f.node.endpoints().shadowInFlight(endpoint) == 0);
        }
        return out;
    }

    /** {@code n} decisions in flight at once, with fixed request and entity ids; answers in order. */
    private static List<DecideResponse> decideAll(NodeFixture f, String endpoint, int n) {
        List<Future<OipClient.Reply<DecideResponse>>> calls = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            calls.add(EndpointSupport.decideGrpc(
                    f,
                    DecideRequest.newBuilder()
                            .setModelName(endpoint)
                            .setEntityId("entity-" + i)
                            .setRequestId("request-" + i)
                            .build(),
                    Map.of()));
        }
        List<DecideResponse> out = new ArrayList<>();
        EndpointSupport.awaitAll(calls).forEach(r -> out.add(r.ok()));
        return out;
    }
}
