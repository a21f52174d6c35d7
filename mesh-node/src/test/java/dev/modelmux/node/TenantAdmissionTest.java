package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tenants from a YAML file: the auth matrix and a rate quota, over gRPC and REST, on a real node. */
class TenantAdmissionTest {
    @TempDir
    Path tmp;

    @Test
    void keysModelsAndQuotasAreEnforcedBeforeAnythingRuns() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo"))
                .mlp("mlp-a", 1, 16, 4, 50_000, 1)
                .mlp("other", 1, 16, 4, 50_000, 2);
        Path tenants = tmp.resolve("tenants.yaml");
        Files.writeString(
                tenants,
                "tenants:\n"
                        + "  - id: alpha\n"
                        + "    key_sha256: [" + TenantPolicy.sha256Hex("key-alpha-0123456789") + "]\n"
                        + "    models: [\"mlp-*\"]\n"
                        + "  - id: beta\n"
                        + "    key_sha256: [" + TenantPolicy.sha256Hex("key-beta-0123456789") + "]\n"
                        + "    models: [other]\n"
                        + "    priority: SHEDDABLE\n"
                        + "    rate: 0.001\n"
                        + "    burst: 2\n");
        NodeConfig config = NodeFixture.config(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)
                .withTenants(tenants);
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config)))) {
            var a = fp32("mlp-a", "input", ramp(16, 1f), 1, 16);
            var o = fp32("other", "input", ramp(16, 1f), 1, 16);
            Map<String, String> alpha = Map.of("authorization", "Bearer key-alpha-0123456789");
            Map<String, String> beta = Map.of("authorization", "Bearer key-beta-0123456789");

            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, a)
                            .status())
                    .isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, a, Map.of("authorization", "Bearer nope"))
                            .status())
                    .isEqualTo(GrpcStatus.UNAUTHENTICATED);
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, a, beta)
                            .status())
                    .isEqualTo(GrpcStatus.PERMISSION_DENIED);
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, a, alpha)
                            .ok()
                            .getModelName())
                    .isEqualTo("mlp-a");

            // beta may burst twice, then its rate (one request per 1000 s) holds it back with a retry hint.
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, o, beta)
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, o, beta)
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            Reply<ModelInferResponse> over = f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, o, beta);
            assertThat(over.status()).isEqualTo(GrpcStatus.RESOURCE_EXHAUSTED);
            assertThat(over.message()).contains("retry after");
            // alpha is not affected by beta's quota.
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, a, alpha)
                            .status())
                    .isEqualTo(GrpcStatus.OK);

            String body = "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":"
                    + Arrays.toString(ramp(16, 1f)) + "}]}";
            assertThat(f.client.post("/v2/models/mlp-a/infer", body).status()).isEqualTo(401);
            assertThat(f.client
                            .post("/v2/models/mlp-a/infer", body, "authorization", "Bearer key-beta-0123456789")
                            .status())
                    .isEqualTo(403);
            assertThat(f.client
                            .post("/v2/models/mlp-a/infer", body, "authorization", "Bearer key-alpha-0123456789")
                            .status())
                    .isEqualTo(200);
            assertThat(f.client
                            .post("/v2/models/other/infer", body, "authorization", "Bearer key-beta-0123456789")
                            .status())
                    .isEqualTo(429);
        }
    }
}
