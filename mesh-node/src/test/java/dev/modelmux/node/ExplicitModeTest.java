package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.RepositoryModelLoadRequest;
import dev.modelmux.node.oip.RepositoryModelUnloadRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** In explicit mode only the repository API loads and unloads models. */
class ExplicitModeTest {
    @TempDir
    Path tmp;

    @Test
    void modelsServeOnlyBetweenLoadAndUnload() {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 50_000, 1);
        Map<String, String> admin = Map.of("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.EXPLICIT)) {
            var infer = fp32("m", "input", ramp(16, 1f), 1, 16);
            var before = f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, infer);
            assertThat(before.status()).isEqualTo(GrpcStatus.NOT_FOUND);
            assertThat(before.message()).contains("load it through the repository API");

            assertThat(f.client
                            .call(
                                    GRPCInferenceServiceGrpcClient.RepositoryModelLoad,
                                    RepositoryModelLoadRequest.newBuilder()
                                            .setModelName("m")
                                            .build(),
                                    admin)
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, infer)
                            .ok()
                            .getModelVersion())
                    .isEqualTo("1");

            var missing = f.client.call(
                    GRPCInferenceServiceGrpcClient.RepositoryModelLoad,
                    RepositoryModelLoadRequest.newBuilder().setModelName("nope").build(),
                    admin);
            assertThat(missing.status()).isEqualTo(GrpcStatus.NOT_FOUND);
            var hostile = f.client.call(
                    GRPCInferenceServiceGrpcClient.RepositoryModelLoad,
                    RepositoryModelLoadRequest.newBuilder()
                            .setModelName("../../etc")
                            .build(),
                    admin);
            assertThat(hostile.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);

            assertThat(f.client
                            .call(
                                    GRPCInferenceServiceGrpcClient.RepositoryModelUnload,
                                    RepositoryModelUnloadRequest.newBuilder()
                                            .setModelName("m")
                                            .build(),
                                    admin)
                            .status())
                    .isEqualTo(GrpcStatus.OK);
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, infer)
                            .status())
                    .isEqualTo(GrpcStatus.NOT_FOUND);
        }
    }
}
