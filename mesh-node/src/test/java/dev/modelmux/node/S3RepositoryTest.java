package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import ai.onnxruntime.OnnxTensor;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import dev.modelmux.node.oip.RepositoryIndexResponse;
import dev.modelmux.repo.ExampleRepository;
import dev.modelmux.repo.testing.S3TestServer;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node serving an {@code s3://} repository from a real S3 API server (S3Proxy, loopback), set up with the
 * flags an operator would give: the example models end to end, a new model found by the next poll, a new
 * version gated while the old one serves, a model deleted, and an endpoint that stops answering while models
 * keep serving. Nothing asks for a rescan: the node polls every second.
 */
class S3RepositoryTest {
    private static final float[] X = ramp(16, 1f);

    @TempDir
    Path tmp;

    private NodeConfig config(S3TestServer s3, String prefix, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--repo",
                s3.root(prefix),
                "--s3-endpoint",
                s3.endpoint().toString(),
                "--s3-path-style",
                "true",
                "--s3-region",
                "us-east-1",
                "--s3-timeout",
                "1s",
                "--poll-interval",
                "1s",
                "--memory-budget",
                "256MiB",
                "--host",
                "127.0.0.1",
                "--grpc-port",
                "0",
                "--http-port",
                "0",
                "--cluster-port",
                "0",
                "--gpus",
                "none",
                "--admin-token",
                NodeFixture.ADMIN_TOKEN,
                "--data-dir",
                tmp.resolve("data").toString()));
        args.addAll(List.of(more));
        return ConfigLoader.load(args, Map.of(), Optional.empty());
    }

    @Test
    void aNodeServesABucketFollowsItsChangesAndKeepsServingWhenItStopsAnswering() throws Exception {
        Path example = tmp.resolve("example");
        ExampleRepository.build(
                example, tmp, ExampleRepository.plan(List.of(64L << 10, 64L << 10, 64L << 10, 64L << 10), List.of()));
        byte[] v1 = TestRepo.mlpBytes(16, 4, 50_000, 1);
        byte[] v2 = TestRepo.mlpBytes(16, 4, 50_000, 2);
        try (S3TestServer s3 = new S3TestServer(Files.createDirectories(tmp.resolve("blobs")), "models")) {
            Set<String> exampleModels = upload(s3, example, "team/");
            s3.put("team/m/config.pbtxt", TestRepo.mlpConfig("m", 16, 4, 8));
            s3.put("team/m/1/model.onnx", v1);

            try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config(s3, "team/"))))) {
                // 1. The example models, served from the bucket.
                Set<String> wanted = new TreeSet<>(exampleModels);
                wanted.add("m");
                assertThat(indexNames(f)).isEqualTo(wanted);
                byte[] tiny = Files.readAllBytes(example.resolve("tiny-mlp/1/model.onnx"));
                assertThat(floats(infer(f, "tiny-mlp").body(), 0)).containsExactly(reference(tiny), within(1e-5f));
                assertThat(floats(infer(f, "m").body(), 0)).containsExactly(reference(v1), within(1e-5f));

                // 2. A new model: the next poll finds it.
                s3.put("team/fresh/config.pbtxt", TestRepo.mlpConfig("fresh", 16, 4, 8));
                s3.put("team/fresh/1/model.onnx", v2);
                await().atMost(NodeFixture.PATIENCE)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> infer(f, "fresh").status() == GrpcStatus.OK);
                assertThat(floats(infer(f, "fresh").body(), 0)).containsExactly(reference(v2), within(1e-5f));

                // 3. A new artifact for m: gated in the background, and every request sent until version 2 is
                // READY is answered (by version 1) meanwhile.
                s3.put("team/m/2/model.onnx", v2);
                await().atMost(NodeFixture.PATIENCE)
                        .pollInterval(Duration.ofMillis(20))
                        .until(() -> {
                            Reply<ModelInferResponse> reply = infer(f, "m");
                            assertThat(reply.status()).as(reply.message()).isEqualTo(GrpcStatus.OK);
                            return state(f, "m", "2").getState().equals("READY");
                        });
                Reply<ModelInferResponse> after = infer(f, "m");
                assertThat(after.body().getModelVersion()).isEqualTo("2");
                assertThat(floats(after.body(), 0)).containsExactly(reference(v2), within(1e-5f));

                // 4. A model deleted from the bucket: gone after the next poll.
                s3.delete("team/fresh/1/model.onnx");
                s3.delete("team/fresh/config.pbtxt");
                await().atMost(NodeFixture.PATIENCE)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> infer(f, "fresh").status() == GrpcStatus.NOT_FOUND);

                // 5. The endpoint stops answering: every loaded model keeps serving, the fault shows.
                s3.freeze();
                await().atMost(NodeFixture.PATIENCE)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"listing\"}") > 0
                                && state(f, "m", "2").getReason().contains("no answer"));
                assertThat(state(f, "m", "2").getReason())
                        .startsWith("repository read failed: could not read the repository root in the repository")
                        .endsWith("; serving the last good version");
                assertThat(EndpointSupport.sample(f, "modelmux_repository_stale_models"))
                        .isEqualTo(wanted.size());
                double errors = EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"listing\"}");
                await().atMost(NodeFixture.PATIENCE)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"listing\"}")
                                > errors);
                assertThat(floats(infer(f, "tiny-mlp").body(), 0)).containsExactly(reference(tiny), within(1e-5f));
                assertThat(floats(infer(f, "m").body(), 0)).containsExactly(reference(v2), within(1e-5f));
                assertThat(f.node.pool().resident(new ModelKey("m", 2))).isPresent();
                assertThat(indexNames(f)).isEqualTo(wanted);
            }
        }
    }

    @Test
    void badCredentialsStopTheStartWithAMessageNamingTheBucket() throws Exception {
        try (S3TestServer s3 = new S3TestServer(
                Files.createDirectories(tmp.resolve("blobs")), "locked", "someone-else", "not-ours-0000")) {
            assertThatThrownBy(() -> NodeFixture.await(MeshNode.start(config(s3, "p/"))))
                    .hasMessageContaining("bucket 'locked'")
                    .hasMessageContaining("access denied")
                    .satisfies(e -> assertThat(String.valueOf(e.getMessage()))
                            .doesNotContain(S3TestServer.SECRET_KEY)
                            .doesNotContain("not-ours-0000"));
        }
    }

    /** Puts every file of a local repository folder under {@code prefix}; returns the model names. */
    private static Set<String> upload(S3TestServer s3, Path folder, String prefix) throws Exception {
        try (var files = Files.walk(folder)) {
            for (Path p : files.filter(Files::isRegularFile).toList()) {
                String rel = folder.relativize(p).toString().replace('\\', '/');
                s3.put(prefix + rel, Files.readAllBytes(p));
            }
        }
        try (var dirs = Files.list(folder)) {
            return dirs.filter(Files::isDirectory)
                    .map(d -> d.getFileName().toString())
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Reply<ModelInferResponse> infer(NodeFixture f, String model) {
        ModelInferRequest r = fp32(model, "input", X, 1, 16);
        return f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, r);
    }

    private static Set<String> indexNames(NodeFixture f) {
        return index(f).stream()
                .map(RepositoryIndexResponse.ModelIndex::getName)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private static List<RepositoryIndexResponse.ModelIndex> index(NodeFixture f) {
        return f.client
                .call(GRPCInferenceServiceGrpcClient.RepositoryIndex, RepositoryIndexRequest.getDefaultInstance())
                .ok()
                .getModelsList();
    }

    private static RepositoryIndexResponse.ModelIndex state(NodeFixture f, String model, String version) {
        return index(f).stream()
                .filter(m -> m.getName().equals(model) && m.getVersion().equals(version))
                .findFirst()
                .orElse(RepositoryIndexResponse.ModelIndex.getDefaultInstance());
    }

    private static float[] reference(byte[] model) throws Exception {
        return Requests.reference(
                model,
                Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(X), new long[] {1, 16})),
                "output");
    }
}
