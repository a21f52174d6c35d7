package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import ai.onnxruntime.OnnxTensor;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A broken new version never takes traffic; the old one keeps serving with zero failed requests. */
class ReloadTest {
    @TempDir
    Path tmp;

    @Test
    void brokenNewVersionLeavesTheOldServingThenAGoodOneTakesOver() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        byte[] v1 = TestRepo.mlpBytes(16, 4, 100_000, 1);
        byte[] v2 = TestRepo.mlpBytes(16, 4, 100_000, 2);
        repo.config("m", TestRepo.mlpConfig("m", 16, 4, 8)).file("m", 1, v1);
        float[] x = ramp(16, 1f);
        ModelInferRequest req = fp32("m", "input", x, 1, 16);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, req)
                            .ok()
                            .getModelVersion())
                    .isEqualTo("1");

            byte[] garbage = new byte[4096];
            new Random(3).nextBytes(garbage);
            repo.file("m", 2, garbage);
            f.rescan();
            // The gate of version 2 runs now; every request meanwhile is answered, by version 1.
            List<Future<Reply<ModelInferResponse>>> during = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                during.add(f.node.vertx()
                        .executeBlocking(() -> f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, req), false));
            }
            for (Future<Reply<ModelInferResponse>> r : during) {
                assertThat(NodeFixture.await(r).ok().getModelVersion()).isEqualTo("1");
            }
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> state(f, "2").getState().equals("UNAVAILABLE")
                            && !state(f, "2").getReason().isEmpty()
                            && !state(f, "2").getReason().startsWith("unloaded"));
            assertThat(state(f, "2").getReason()).contains("m").doesNotContain(tmp.toString());
            assertThat(state(f, "1").getState()).isEqualTo("READY");
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, req)
                            .ok()
                            .getModelVersion())
                    .isEqualTo("1");

            repo.file("m", 2, v2);
            f.rescan();
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> state(f, "2").getState().equals("READY"));
            ModelInferResponse r = f.client
                    .call(GRPCInferenceServiceGrpcClient.ModelInfer, req)
                    .ok();
            assertThat(r.getModelVersion()).isEqualTo("2");
            float[] want = Requests.reference(
                    v2,
                    Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {1, 16})),
                    "output");
            assertThat(floats(r, 0)).containsExactly(want, within(1e-6f));
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> !state(f, "1").getState().equals("READY"));
            assertThat(state(f, "1").getReason()).isEqualTo("not selected by the version policy");
        }
    }

    @Test
    void pollingPicksUpNewAndRemovedModels() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("first", 1, 16, 4, 50_000, 1);
        ModelInferRequest second = fp32("second", "input", ramp(16, 1f), 1, 16);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, second)
                            .status())
                    .isEqualTo(GrpcStatus.NOT_FOUND);
            repo.mlp("second", 1, 16, 4, 50_000, 2);
            f.rescan();
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, second)
                            .ok()
                            .getModelName())
                    .isEqualTo("second");
            try (var files = Files.walk(repo.root.resolve("second"))) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            f.rescan();
            assertThat(f.client
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, second)
                            .status())
                    .isEqualTo(GrpcStatus.NOT_FOUND);
            assertThat(f.client
                            .call(
                                    GRPCInferenceServiceGrpcClient.ModelInfer,
                                    fp32("first", "input", ramp(16, 1f), 1, 16))
                            .status())
                    .isEqualTo(GrpcStatus.OK);
        }
    }

    static RepositoryIndexResponse.ModelIndex state(NodeFixture f, String version) {
        return f
                .client
                .call(GRPCInferenceServiceGrpcClient.RepositoryIndex, RepositoryIndexRequest.getDefaultInstance())
                .ok()
                .getModelsList()
                .stream()
                .filter(m -> m.getName().equals("m") && m.getVersion().equals(version))
                .findFirst()
                .orElseThrow();
    }
}
