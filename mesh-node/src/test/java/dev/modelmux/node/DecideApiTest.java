package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.admin;
import static dev.modelmux.node.EndpointSupport.decide;
import static dev.modelmux.node.EndpointSupport.decideBody;
import static dev.modelmux.node.EndpointSupport.endpoint;
import static dev.modelmux.node.EndpointSupport.put;
import static dev.modelmux.node.EndpointSupport.single;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.endpoints.StableHash;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.v1.DecideRequest;
import dev.modelmux.node.v1.DecideResponse;
import dev.modelmux.repo.ExampleRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decision API on a real node and real models: REST and gRPC answer the contract (score from
 * the model, decision by the thresholds), the score equals an in-process run of the same model on
 * the feature defaults, errors carry the right status, tenant admission applies to the endpoint's
 * name, and ModelInfer through the endpoint reports the version and policy version.
 */
class DecideApiTest {
    @TempDir
    Path tmp;

    @Test
    void decideOverRestAndGrpcAnswersTheContractAndModelInferThroughTheEndpointReportsItsVersion() throws Exception {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1, 2);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            JsonObject written = put(f, "credit", endpoint(single("risk", 2)));
            long version = written.getLong("policy_version");
            assertThat(version).isEqualTo(1);
            // The write loaded the target before it committed.
            assertThat(f.node.copies("risk", 2)).anyMatch(c -> c.endsWith(":READY"));
            assertThat(written.getJsonObject("endpoint")
                            .getJsonObject("schema")
                            .getJsonArray("inputs")
                            .getJsonObject(0)
                            .getString("data_type"))
                    .isEqualTo("TYPE_FP32");

            EndpointSupport.Reply r = decide(
                    f,
                    decideBody("credit", "user-1")
                            .put("request_id", "req-1")
                            .put("context", new JsonObject().put("region", "eu")));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            JsonObject d = r.json();
            float want = reference(
                    Files.readAllBytes(repo.root.resolve("risk/2/model.onnx")), new float[] {35, 40000, 50, 1})[1];
            assertThat(d.getString("request_id")).isEqualTo("req-1");
            assertThat(d.getString("model_version")).isEqualTo("risk:2");
            assertThat(d.getString("policy_version")).isEqualTo(Long.toString(version));
            assertThat(d.getDouble("score")).isCloseTo(want, Offset.offset(1e-6));
            String expected = want >= 0.8 ? "decline" : want >= 0.5 ? "review" : "approve";
            assertThat(d.getString("decision")).isEqualTo(expected);
            assertThat(d.getDouble("confidence")).isBetween(0.0, 1.0);
            assertThat(d.getString("explanations_ref")).isEqualTo("expl://t/req-1");
            assertThat(d.getBoolean("fallback_used")).isFalse();
            assertThat(d.getString("ladder_step")).isEqualTo("primary");
            // No store holds this entity's features: every one took its default, and says so.
            assertThat(d.getBoolean("features_defaulted")).isTrue();
            assertThat(d.getBoolean("features_timed_out")).isFalse();

            OipClient.Reply<DecideResponse> g = NodeFixture.await(EndpointSupport.decideGrpc(
                    f,
                    DecideRequest.newBuilder()
                            .setModelName("credit")
                            .setEntityId("user-1")
                            .addFeatureRefs("txn.amount")
                            .build(),
                    Map.of()));
            DecideResponse gr = g.ok();
            assertThat(gr.getModelVersion()).isEqualTo("risk:2");
            assertThat(gr.getScore()).isEqualTo(d.getDouble("score"));
            assertThat(gr.getDecision()).isEqualTo(expected);
            assertThat(gr.getPolicyVersion()).isEqualTo(Long.toString(version));
            assertThat(gr.getRequestId()).isNotEmpty();

            // Errors: unknown endpoint, missing entity, a feature the endpoint does not have, bad JSON.
            assertThat(decide(f, decideBody("nothing", "u")).status()).isEqualTo(404);
            assertThat(NodeFixture.await(EndpointSupport.decideGrpc(
                                    f,
                                    DecideRequest.newBuilder()
                                            .setModelName("nothing")
                                            .setEntityId("u")
                                            .build(),
                                    Map.of()))
                            .status())
                    .isEqualTo(GrpcStatus.NOT_FOUND);
            assertThat(decide(f, decideBody("credit", "")).status()).isEqualTo(400);
            assertThat(NodeFixture.await(EndpointSupport.decideGrpc(
                                    f,
                                    DecideRequest.newBuilder()
                                            .setModelName("credit")
                                            .build(),
                                    Map.of()))
                            .status())
                    .isEqualTo(GrpcStatus.INVALID_ARGUMENT);
            EndpointSupport.Reply badRef =
                    decide(f, decideBody("credit", "u").put("feature_refs", new JsonArray().add("user.shoe_size")));
            assertThat(badRef.status()).isEqualTo(400);
            assertThat(badRef.json().getString("error")).contains("user.shoe_size");
            assertThat(EndpointSupport.http(f, "POST", "/api/v1/decide", "{nope")
                            .status())
                    .isEqualTo(400);

            // ModelInfer through the endpoint's name: served by its version, which the response names.
            ModelInferRequest infer = Requests.fp32("credit", "input", new float[] {35, 40000, 50, 1}, 1, 4);
            ModelInferResponse resp = f.client
                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, infer)
                    .ok();
            assertThat(resp.getModelName()).isEqualTo("risk");
            assertThat(resp.getModelVersion()).isEqualTo("2");
            assertThat(resp.getParametersMap().get("endpoint").getStringParam()).isEqualTo("credit");
            assertThat(resp.getParametersMap().get("policy_version").getStringParam())
                    .isEqualTo(Long.toString(version));
            assertThat(Requests.floats(resp, 0)[1]).isEqualTo(want);
            OipClient.Http rest = f.client.post(
                    "/v2/models/credit/infer",
                    "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[35,40000,50,1]}]}");
            assertThat(rest.status()).as(rest.body()).isEqualTo(200);
            JsonObject restBody = new JsonObject(rest.body());
            assertThat(restBody.getString("model_name")).isEqualTo("risk");
            assertThat(restBody.getJsonObject("parameters").getString("endpoint"))
                    .isEqualTo("credit");
            assertThat(restBody.getJsonObject("parameters").getString("policy_version"))
                    .isEqualTo(Long.toString(version));
            // An endpoint picks its own version.
            ModelInferRequest pinned = infer.toBuilder()
                    .setModelVersion("1")
                    .putParameters(
                            "entity_id",
                            InferParameter.newBuilder().setStringParam("x").build())
                    .build();
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, pinned)
                            .status())
                    .isEqualTo(GrpcStatus.INVALID_ARGUMENT);

            // An endpoint without features and decision answers ModelInfer, not decisions.
            put(f, "raw", new JsonObject().put("policy", single("risk", 1)).put("metadata", new JsonObject()));
            EndpointSupport.Reply noDecision = decide(f, decideBody("raw", "u"));
            assertThat(noDecision.status()).isEqualTo(400);
            assertThat(noDecision.json().getString("error")).contains("ModelInfer");
            assertThat(f.client
                            .call(
                                    GRPCInferenceServiceGrpcClient.ModelInfer,
                                    infer.toBuilder().setModelName("raw").build())
                            .ok()
                            .getModelVersion())
                    .isEqualTo("1");
            assertThat(EndpointSupport.metric(
                            f,
                            "modelmux_endpoint_requests_total",
                            "endpoint",
                            "credit",
                            "api",
                            "decide",
                            "step",
                            "primary"))
                    .isEqualTo(2.0);
        }
    }

    @Test
    void tenantAdmissionAppliesToTheEndpointsName() throws Exception {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1);
        Path tenants = tmp.resolve("tenants.yaml");
        Files.writeString(
                tenants,
                "tenants:\n"
                        + "  - {id: cards, key_sha256: [" + TenantPolicy.sha256Hex("key-cards-0123456789")
                        + "], models: [\"credit*\"]}\n"
                        + "  - {id: other, key_sha256: [" + TenantPolicy.sha256Hex("key-other-0123456789")
                        + "], models: [\"risk\"]}\n");
        NodeConfig config = NodeFixture.config(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)
                .withTenants(tenants);
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config)))) {
            put(f, "credit", endpoint(single("risk", 1)));
            assertThat(decide(f, decideBody("credit", "u")).status()).isEqualTo(401);
            assertThat(decide(f, decideBody("credit", "u"), "authorization", "Bearer wrong-key-0123456789")
                            .status())
                    .isEqualTo(401);
            // 'other' may call the model risk, not the endpoint credit.
            assertThat(decide(f, decideBody("credit", "u"), "authorization", "Bearer key-other-0123456789")
                            .status())
                    .isEqualTo(403);
            assertThat(decide(f, decideBody("credit", "u"), "authorization", "Bearer key-cards-0123456789")
                            .status())
                    .isEqualTo(200);
            Map<String, String> cards = Map.of("authorization", "Bearer key-cards-0123456789");
            ModelInferRequest infer = Requests.fp32("credit", "input", new float[] {35, 40000, 50, 1}, 1, 4);
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, infer, cards)
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            assertThat(f.client
                            .call(
                                    GRPCInferenceServiceGrpcClient.ModelInfer,
                                    infer,
                                    Map.of("authorization", "Bearer key-other-0123456789"))
                            .status())
                    .isEqualTo(GrpcStatus.PERMISSION_DENIED);
            assertThat(NodeFixture.await(EndpointSupport.decideGrpc(
                                    f,
                                    DecideRequest.newBuilder()
                                            .setModelName("credit")
                                            .setEntityId("u")
                                            .build(),
                                    cards))
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            assertThat(NodeFixture.await(EndpointSupport.decideGrpc(
                                    f,
                                    DecideRequest.newBuilder()
                                            .setModelName("credit")
                                            .setEntityId("u")
                                            .build(),
                                    Map.of()))
                            .status())
                    .isEqualTo(GrpcStatus.UNAUTHENTICATED);
        }
    }

    @Test
    void theExampleRepositoryServesItsEndpointRightAfterStart() throws Exception {
        Path example = tmp.resolve("example");
        ExampleRepository.build(
                example, tmp, ExampleRepository.plan(List.of(64L << 10, 64L << 10, 64L << 10, 64L << 10), List.of()));
        // As ./modelmux serve does: no --repo and no --endpoints means the example and its endpoints.yaml.
        NodeConfig loaded = ConfigLoader.load(
                List.of(
                        "--grpc-port",
                        "0",
                        "--http-port",
                        "0",
                        "--admin-token",
                        NodeFixture.ADMIN_TOKEN,
                        "--data-dir",
                        tmp.resolve("data").toString(),
                        "--cluster-port",
                        "0",
                        "--gpus",
                        "none"),
                Map.of(),
                Optional.of(example.toString()));
        assertThat(loaded.endpoints()).contains(example.resolve("endpoints.yaml"));
        NodeConfig config = NodeFixture.config(example, tmp.resolve("data"), 256L << 20, ControlMode.POLL)
                .withEndpoints(loaded.endpoints().orElseThrow());
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config)))) {
            EndpointSupport.Reply r = decide(
                    f,
                    new JsonObject()
                            .put("request_id", "r-1")
                            .put("entity_id", "user-42")
                            .put("model_name", "example")
                            .put("feature_refs", new JsonArray().add("user.age").add("txn.amount"))
                            .put("context", new JsonObject().put("region", "eu")));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            // A 90/10 canary by the entity's bucket: user-42's version is fixed.
            String version =
                    StableHash.bucket("example", "user-42") < 90 * (StableHash.BUCKETS / 100) ? "risk:1" : "risk:2";
            assertThat(r.json().getString("model_version")).isEqualTo(version);
            assertThat(r.json().getString("policy_version")).isEqualTo("1");
            double score = r.json().getDouble("score");
            assertThat(r.json().getString("decision"))
                    .as("score %s against the thresholds 0.8 decline, 0.5 review", score)
                    .isEqualTo(score >= 0.8 ? "decline" : score >= 0.5 ? "review" : "approve");
            JsonObject listed = admin(f, "GET", "/api/v1/endpoints", null).json();
            assertThat(listed.getString("source")).isEqualTo("file");
            assertThat(listed.getJsonArray("endpoints").getJsonObject(0).getString("name"))
                    .isEqualTo("example");
        }
    }

    @Test
    void featureRefsAsAnObjectLookEachGroupUpUnderItsOwnKey() throws Exception {
        TestRepo repo = EndpointSupport.scorers(new TestRepo(tmp.resolve("repo")), "risk", 1, 2);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            put(f, "credit", endpoint(single("risk", 2)));
            EndpointSupport.Reply stored = admin(
                    f,
                    "PUT",
                    "/api/v1/features",
                    "{\"features\": [{\"entity_id\": \"user-42\", \"values\": {\"user.age\": 61, \"user.income\": 90000}},"
                            + " {\"entity_id\": \"m-7\", \"values\": {\"txn.amount\": 900, \"txn.count_24h\": 9}}]}");
            assertThat(stored.status()).as(stored.body()).isEqualTo(200);

            // The user's features under user-42, the transaction's under m-7: nothing defaulted.
            EndpointSupport.Reply r = decide(
                    f,
                    decideBody("credit", "someone-else")
                            .put(
                                    "feature_refs",
                                    new JsonObject().put("user", "user-42").put("txn", "m-7")));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().getBoolean("features_defaulted")).isFalse();
            float want = reference(
                    Files.readAllBytes(repo.root.resolve("risk/2/model.onnx")), new float[] {61, 90000, 900, 9})[1];
            assertThat(r.json().getDouble("score")).isCloseTo(want, Offset.offset(1e-6));

            // A feature's own entry wins over its group's; the rest fall back to entity_id (absent: defaults).
            EndpointSupport.Reply mixed = decide(
                    f,
                    decideBody("credit", "nobody")
                            .put(
                                    "feature_refs",
                                    new JsonObject().put("user", "user-42").put("user.income", "m-7")));
            assertThat(mixed.json().getBoolean("features_defaulted")).isTrue();
            float wantMixed = reference(
                    Files.readAllBytes(repo.root.resolve("risk/2/model.onnx")), new float[] {61, 40000, 50, 1})[1];
            assertThat(mixed.json().getDouble("score")).isCloseTo(wantMixed, Offset.offset(1e-6));

            // An empty object means the endpoint's defaults, as an empty array does.
            assertThat(decide(f, decideBody("credit", "user-42").put("feature_refs", new JsonObject()))
                            .status())
                    .isEqualTo(200);
            EndpointSupport.Reply unknown =
                    decide(f, decideBody("credit", "u").put("feature_refs", new JsonObject().put("shoe", "x")));
            assertThat(unknown.status()).isEqualTo(400);
            assertThat(unknown.json().getString("error")).contains("'shoe' is neither a feature nor a feature group");
            EndpointSupport.Reply badKey =
                    decide(f, decideBody("credit", "u").put("feature_refs", new JsonObject().put("user", "a b")));
            assertThat(badKey.status()).isEqualTo(400);

            // gRPC: the object form travels in feature_ref_keys.
            DecideResponse g = NodeFixture.await(EndpointSupport.decideGrpc(
                            f,
                            DecideRequest.newBuilder()
                                    .setModelName("credit")
                                    .setEntityId("someone-else")
                                    .putFeatureRefKeys("user", "user-42")
                                    .putFeatureRefKeys("txn", "m-7")
                                    .build(),
                            Map.of()))
                    .ok();
            assertThat(g.getFeaturesDefaulted()).isFalse();
            assertThat(g.getPolicyVersion()).isEqualTo("1");
        }
    }

    /** The model run in-process on one feature vector. */
    static float[] reference(byte[] model, float[] x) throws Exception {
        return Requests.reference(
                model,
                Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 4})),
                "output");
    }
}
