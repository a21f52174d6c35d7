package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.admin;
import static dev.modelmux.node.EndpointSupport.endpoint;
import static dev.modelmux.node.EndpointSupport.put;
import static dev.modelmux.node.EndpointSupport.target;
import static dev.modelmux.node.EndpointSupport.weighted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.node.v1.DecideResponse;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traffic policies on a real two-node mesh with real models: the canary's split and stickiness
 * (per entity, across calls and across nodes), champion/challenger's fixed split, segment routing,
 * and a policy change written on one node in force on the other.
 */
class EndpointRoutingTest {
    /** A change arrives within milliseconds; the ceiling only keeps a loaded machine from flaking (tests never assert timings). */
    private static final Duration PROPAGATION = NodeFixture.PATIENCE;

    private static final int IN_FLIGHT = 64;

    @TempDir
    static Path tmp;

    private static NodeFixture a;
    private static NodeFixture b;

    @BeforeAll
    static void start() {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1, 2, 3);
        a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 256L << 20, "node-a", List.of());
        b = NodeFixture.startMesh(
                repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
        await().atMost(NodeFixture.PATIENCE)
                .until(() ->
                        a.node.meshNodes().size() == 2 && b.node.meshNodes().size() == 2);
    }

    @AfterAll
    static void stop() {
        if (b != null) {
            b.close();
        }
        if (a != null) {
            a.close();
        }
    }

    @Test
    void aCanarySplitsEntitiesByItsWeightsAndEachEntityKeepsItsVersionOnEveryNode() {
        long version = put(a, "canary", endpoint(weighted("canary", "risk", 1, 90, 2, 10)))
                .getLong("policy_version");
        await().atMost(PROPAGATION).until(() -> b.node.endpoints().table().version() >= version);

        int n = 10_000;
        List<String> entities = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entities.add("entity-" + i);
        }
        List<DecideResponse> first = decideAll(a, "canary", entities, i -> "");
        long canary =
                first.stream().filter(r -> r.getModelVersion().equals("risk:2")).count();
        assertThat(canary / (double) n).as("share of entities on the canary").isBetween(0.08, 0.12);
        assertThat(first)
                .allMatch(r -> r.getPolicyVersion().equals(Long.toString(version))
                        && r.getLadderStep().equals("primary"));

        // Sticky: the same entities, again and on the other node, with other request ids, land on the same versions.
        List<String> some = entities.subList(0, 1_000);
        List<DecideResponse> again = decideAll(a, "canary", some, i -> "again-" + i);
        List<DecideResponse> onB = decideAll(b, "canary", some, i -> "b-" + i);
        for (int i = 0; i < some.size(); i++) {
            assertThat(again.get(i).getModelVersion())
                    .as(some.get(i))
                    .isEqualTo(first.get(i).getModelVersion());
            assertThat(onB.get(i).getModelVersion())
                    .as(some.get(i) + " on node b")
                    .isEqualTo(first.get(i).getModelVersion());
        }
        // ModelInfer through the endpoint splits by its entity_id parameter the same way.
        for (int i = 0; i < 20; i++) {
            ModelInferRequest req = Requests.fp32("canary", "input", new float[] {35, 40000, 50, 1}, 1, 4).toBuilder()
                    .putParameters(
                            "entity_id",
                            InferParameter.newBuilder()
                                    .setStringParam(entities.get(i))
                                    .build())
                    .build();
            ModelInferResponse r = b.client
                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, req)
                    .ok();
            assertThat("risk:" + r.getModelVersion()).isEqualTo(first.get(i).getModelVersion());
            assertThat(r.getParametersMap().get("policy_version").getStringParam())
                    .isEqualTo(Long.toString(version));
        }
    }

    @Test
    void championChallengerSplitsRequestsAndSegmentsFollowTheContext() {
        put(a, "cc", endpoint(weighted("champion_challenger", "risk", 1, 50, 3, 50)));
        int n = 4_000;
        List<String> entities = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            entities.add("same-entity");
        }
        List<DecideResponse> rs = decideAll(a, "cc", entities, i -> "request-" + i);
        long challenger =
                rs.stream().filter(r -> r.getModelVersion().equals("risk:3")).count();
        assertThat(challenger / (double) n).as("challenger's share of requests").isBetween(0.46, 0.54);
        // The split is by request: the same request id gets the same version.
        List<DecideResponse> repeat = decideAll(a, "cc", entities.subList(0, 200), i -> "request-" + i);
        for (int i = 0; i < repeat.size(); i++) {
            assertThat(repeat.get(i).getModelVersion()).isEqualTo(rs.get(i).getModelVersion());
        }

        JsonObject segment = new JsonObject()
                .put("type", "segment")
                .put(
                        "rules",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put(
                                                "when",
                                                new JsonObject()
                                                        .put("region", "eu")
                                                        .put("device_class", "mobile"))
                                        .put("target", target("risk", 2)))
                                .add(new JsonObject()
                                        .put(
                                                "when",
                                                new JsonObject()
                                                        .put("risk_tier", "high")
                                                        .put("tenant", "default"))
                                        .put("target", target("risk", 3))))
                .put("default", target("risk", 1));
        long version = put(a, "seg", endpoint(segment)).getLong("policy_version");
        await().atMost(PROPAGATION).until(() -> b.node.endpoints().table().version() >= version); // asked on b below
        assertThat(segmentVersion(Map.of("region", "eu", "device_class", "mobile")))
                .isEqualTo("risk:2");
        assertThat(segmentVersion(Map.of("region", "eu", "device_class", "desktop")))
                .isEqualTo("risk:1");
        assertThat(segmentVersion(Map.of("risk_tier", "high"))).isEqualTo("risk:3");
        // The tenant is the caller's (the open default here), never what the context claims.
        assertThat(segmentVersion(Map.of("risk_tier", "high", "tenant", "someone-else")))
                .isEqualTo("risk:3");
        assertThat(segmentVersion(Map.of())).isEqualTo("risk:1");
    }

    @Test
    void aChangeWrittenOnOneNodeIsInForceOnTheOther() {
        put(a, "moving", endpoint(EndpointSupport.single("risk", 1)));
        await().atMost(PROPAGATION)
                .until(() -> decideOne(b, "moving", "e").getModelVersion().equals("risk:1"));
        long v = put(a, "moving", endpoint(EndpointSupport.single("risk", 3))).getLong("policy_version");
        await().atMost(PROPAGATION)
                .until(() ->
                        admin(b, "GET", "/api/v1/endpoints/moving", null).json().getLong("policy_version") == v);
        DecideResponse r = decideOne(b, "moving", "e");
        assertThat(r.getModelVersion()).isEqualTo("risk:3");
        assertThat(r.getPolicyVersion()).isEqualTo(Long.toString(v));
        // And the other way round: b writes, a follows.
        long deleted =
                admin(b, "DELETE", "/api/v1/endpoints/moving", null).json().getLong("policy_version");
        await().atMost(PROPAGATION).until(() -> a.node.endpoints().table().version() == deleted);
        assertThat(EndpointSupport.decide(a, EndpointSupport.decideBody("moving", "e"))
                        .status())
                .isEqualTo(404);
    }

    private static String segmentVersion(Map<String, String> context) {
        DecideRequest req = DecideRequest.newBuilder()
                .setModelName("seg")
                .setEntityId("e")
                .putAllContext(context)
                .build();
        return NodeFixture.await(EndpointSupport.decideGrpc(b, req, Map.of()))
                .ok()
                .getModelVersion();
    }

    private static DecideResponse decideOne(NodeFixture f, String endpoint, String entity) {
        return NodeFixture.await(EndpointSupport.decideGrpc(
                        f,
                        DecideRequest.newBuilder()
                                .setModelName(endpoint)
                                .setEntityId(entity)
                                .build(),
                        Map.of()))
                .ok();
    }

    /** Decides for every entity over gRPC, {@value #IN_FLIGHT} at a time; answers in order. */
    private static List<DecideResponse> decideAll(
            NodeFixture f, String endpoint, List<String> entities, IntFunction<String> requestId) {
        List<DecideResponse> out = new ArrayList<>();
        for (int from = 0; from < entities.size(); from += IN_FLIGHT) {
            List<Future<OipClient.Reply<DecideResponse>>> batch = new ArrayList<>();
            for (int i = from; i < Math.min(entities.size(), from + IN_FLIGHT); i++) {
                batch.add(EndpointSupport.decideGrpc(
                        f,
                        DecideRequest.newBuilder()
                                .setModelName(endpoint)
                                .setEntityId(entities.get(i))
                                .setRequestId(requestId.apply(i))
                                .build(),
                        new HashMap<>()));
            }
            EndpointSupport.awaitAll(batch).forEach(r -> out.add(r.ok()));
        }
        return out;
    }
}
