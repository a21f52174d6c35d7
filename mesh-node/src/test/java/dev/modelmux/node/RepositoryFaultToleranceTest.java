package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import ai.onnxruntime.OnnxTensor;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.RepositoryIndexRequest;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.FloatBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real faults on a real repository folder under a real node: a config or artifact that cannot be read, a
 * repository folder moved away or swapped for an empty one, a config rewritten with garbage, an artifact
 * that cannot be read when it is loaded. A model that serves keeps serving correct answers through each
 * one, the failure shows in the repository index and the metrics while it lasts, and everything
 * recovers by itself when the fault ends (the tests wait for it; no rescan is asked for).
 *
 * <p>Unreadable files: {@code chmod 000} where that denies reads; the tests may run as root, where it
 * does not, and then the file is replaced by a Unix domain socket (opening one fails with ENXIO for
 * root too: a real error from the kernel, not a stand-in).
 */
class RepositoryFaultToleranceTest {
    private static final String[] TOKEN = {"authorization", "Bearer " + NodeFixture.ADMIN_TOKEN};
    private static final float[] X = ramp(16, 1f);

    @TempDir
    Path tmp;

    @Test
    void aServingModelKeepsServingThroughRepositoryFaultsAndRecoversByItself() throws Exception {
        byte[] model = TestRepo.mlpBytes(16, 4, 50_000, 7);
        float[] want = reference(model);
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        repo.config("m", TestRepo.mlpConfig("m", 16, 4, 8)).file("m", 1, model);
        Path root = repo.root;
        Path config = root.resolve("m/config.pbtxt");
        Path artifact = root.resolve("m/1/model.onnx");

        try (NodeFixture f = NodeFixture.start(root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            servesCorrectly(f, want);
            assertThat(reason(f)).isEmpty();
            assertThat(EndpointSupport.sample(f, "modelmux_repository_stale_models"))
                    .isZero();
            assertThat(EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"model_scan\"}"))
                    .isZero();

            // 1. config.pbtxt cannot be read.
            Runnable restore = unreadable(config);
            f.rescan();
            servesCorrectly(f, want);
            assertThat(reason(f))
                    .startsWith("repository read failed: could not read m/config.pbtxt in the repository")
                    .endsWith("; serving the last good version")
                    .doesNotContain(tmp.toString());
            assertThat(EndpointSupport.sample(f, "modelmux_repository_stale_models"))
                    .isEqualTo(1);
            assertThat(EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"model_scan\"}"))
                    .isPositive();
            restore.run();
            recovers(f);
            servesCorrectly(f, want);

            // 2. The artifact of the serving version cannot be read.
            restore = unreadable(artifact);
            f.rescan();
            servesCorrectly(f, want);
            assertThat(reason(f))
                    .startsWith("repository read failed: could not read m/1/model.onnx in the repository")
                    .endsWith("; serving the last good version");
            assertThat(EndpointSupport.sample(f, "modelmux_repository_stale_models"))
                    .isEqualTo(1);
            restore.run();
            recovers(f);
            servesCorrectly(f, want);

            // 3. The whole repository folder moves away (the listing fails), then comes back.
            Path away = tmp.resolve("repo.away");
            Files.move(root, away);
            f.rescan();
            servesCorrectly(f, want);
            assertThat(reason(f))
                    .startsWith("repository read failed: could not read the repository root in the repository")
                    .endsWith("; serving the last good version");
            assertThat(EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"listing\"}"))
                    .isPositive();
            assertThat(EndpointSupport.sample(f, "modelmux_repository_stale_models"))
                    .isEqualTo(1);
            Files.move(away, root);
            recovers(f);
            servesCorrectly(f, want);

            // 4. The folder is swapped for an empty one for a few seconds (a sync tool swapping it).
            Files.move(root, away);
            Files.createDirectory(root);
            f.rescan();
            servesCorrectly(f, want);
            assertThat(reason(f))
                    .isEqualTo("repository lists no models (not yet confirmed); serving the last good version");
            assertThat(EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"empty_listing\"}"))
                    .isPositive();
            Thread.sleep(4_000); // the fault lasts a while: the node lists again meanwhile, on its own
            servesCorrectly(f, want);
            assertThat(f.node.pool().resident(new ModelKey("m", 1))).isPresent();
            Files.delete(root);
            Files.move(away, root);
            recovers(f);
            servesCorrectly(f, want);

            // 5. config.pbtxt rewritten, caught mid-write (garbage), then the good one again.
            String good = Files.readString(config);
            Files.writeString(config, "name: \"m\"\nmax_batch_size: 8\ninput [ { name: \"inp");
            f.rescan();
            servesCorrectly(f, want);
            assertThat(reason(f)).contains("config.pbtxt").contains("line");
            assertThat(EndpointSupport.sample(f, "modelmux_repository_stale_models"))
                    .isEqualTo(1);
            Files.writeString(config, good);
            recovers(f);
            servesCorrectly(f, want);
            assertThat(f.node.pool().resident(new ModelKey("m", 1)))
                    .as("never unloaded")
                    .isPresent();
        }
    }

    @Test
    void aLoadThatCannotReadTheArtifactIsTriedAgainAndPassesWhenItCan() throws Exception {
        byte[] model = TestRepo.mlpBytes(16, 4, 50_000, 8);
        float[] want = reference(model);
        TestRepo repo = new TestRepo(tmp.resolve("repo"));
        repo.config("m", TestRepo.mlpConfig("m", 16, 4, 8)).file("m", 1, model);
        try (NodeFixture f = NodeFixture.start(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)) {
            // Scanned at start, not loaded yet; now its artifact cannot be read when the first request loads it.
            Runnable restore = unreadable(repo.root.resolve("m/1/model.onnx"));
            Reply<ModelInferResponse> first = infer(f);
            assertThat(first.status()).isEqualTo(GrpcStatus.UNAVAILABLE);
            assertThat(first.message()).contains("could not be read").doesNotContain(tmp.toString());
            assertThat(reason(f))
                    .contains("the artifact could not be read")
                    .contains("tried again with backoff (1 failed in a row)");
            assertThat(EndpointSupport.sample(f, "modelmux_repository_errors_total{kind=\"artifact_read\"}"))
                    .isPositive();
            // Not a verdict on the model: the mesh still counts it servable.
            assertThat(f.client.get("/v2/models/m/ready").status()).isEqualTo(200);

            restore.run();
            // Each request after the backoff tries the load again; one passes.
            await().atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> infer(f).status() == GrpcStatus.OK);
            servesCorrectly(f, want);
            assertThat(reason(f)).isEmpty();
        }
    }

    @Test
    void aNodeThatCannotLoadAModelForwardsToThePeersReadyCopy() throws Exception {
        byte[] model = TestRepo.mlpBytes(16, 4, 200_000, 9);
        float[] want = reference(model);
        // Each node has a repository of its own (as with per-node mounts); only a's goes bad.
        TestRepo repoA = new TestRepo(tmp.resolve("repo-a"));
        repoA.config("m", TestRepo.mlpConfig("m", 16, 4, 8)).file("m", 1, model);
        TestRepo repoB = new TestRepo(tmp.resolve("repo-b"));
        repoB.config("m", TestRepo.mlpConfig("m", 16, 4, 8)).file("m", 1, model);
        NodeFixture a = NodeFixture.startMesh(repoA.root, tmp.resolve("a"), 256L << 20, "node-a", List.of());
        NodeFixture b = null;
        try {
            b = NodeFixture.startMesh(
                    repoB.root, tmp.resolve("b"), 256L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().contains("node-b")
                            && bb.node.meshNodes().contains("node-a"));
            // b serves first, so b holds the copy.
            servesCorrectly(b, want);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).size() == 1);

            // a's artifact cannot be read, and a is asked to hold a copy too: the load fails on the read.
            Runnable restore = unreadable(repoA.root.resolve("m/1/model.onnx"));
            OipClient.Http load = a.client.post("/api/v1/models/m/load", "{\"node\":\"node-a\"}", TOKEN);
            assertThat(load.status()).as(load.body()).isEqualTo(503);
            assertThat(load.body()).contains("could not be read");
            assertThat(reason(a)).contains("tried again with backoff");
            assertThat(a.node.pool().resident(new ModelKey("m", 1))).isEmpty();

            // Requests at a go to b's ready copy: correct answers, never a 503.
            for (int i = 0; i < 5; i++) {
                servesCorrectly(a, want);
                Reply<ModelInferResponse> v1 = a.client.call(
                        GRPCInferenceServiceGrpcClient.ModelInfer, withVersion(fp32("m", "input", X, 1, 16)));
                assertThat(v1.status()).as(v1.message()).isEqualTo(GrpcStatus.OK);
                assertThat(floats(v1.body(), 0)).containsExactly(want, within(1e-5f));
            }
            assertThat(a.client.getWithToken("/metrics").body()).contains("outcome=\"forwarded\"");

            // The read works again: a's next try (after its backoff) loads it.
            restore.run();
            await().atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(250))
                    .until(() -> a.client
                                    .post("/api/v1/models/m/load", "{\"node\":\"node-a\"}", TOKEN)
                                    .status()
                            == 200);
            assertThat(a.node.pool().resident(new ModelKey("m", 1))).isPresent();
            servesCorrectly(a, want);
        } finally {
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Makes {@code file} unreadable to this process and returns what undoes it: {@code chmod 000} where that
     * denies reads, else (root) a Unix domain socket in its place.
     */
    private static Runnable unreadable(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        Files.setPosixFilePermissions(file, Set.of());
        if (!canOpen(file)) {
            return () -> {
                try {
                    Files.setPosixFilePermissions(file, perms);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            };
        }
        Files.setPosixFilePermissions(file, perms);
        Files.delete(file);
        ServerSocketChannel socket = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        socket.bind(UnixDomainSocketAddress.of(file));
        Runnable undo = () -> {
            try {
                socket.close();
                Files.deleteIfExists(file);
                Files.write(file, bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        };
        if (canOpen(file)) {
            undo.run();
            Assumptions.abort("neither chmod 000 nor a Unix socket makes a file unreadable here");
        }
        return undo;
    }

    private static boolean canOpen(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The recovery, waited for: the index shows no fault and the stale gauge is back to 0. */
    private static void recovers(NodeFixture f) {
        await().atMost(NodeFixture.PATIENCE)
                .pollInterval(Duration.ofMillis(200))
                .until(() -> reason(f).isEmpty() && EndpointSupport.sample(f, "modelmux_repository_stale_models") == 0);
    }

    private static Reply<ModelInferResponse> infer(NodeFixture f) {
        return f.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", X, 1, 16));
    }

    private static dev.modelmux.node.oip.ModelInferRequest withVersion(dev.modelmux.node.oip.ModelInferRequest r) {
        return r.toBuilder().setModelVersion("1").build();
    }

    private static void servesCorrectly(NodeFixture f, float[] want) {
        Reply<ModelInferResponse> r = infer(f);
        assertThat(r.status()).as(r.message()).isEqualTo(GrpcStatus.OK);
        assertThat(r.body().getModelVersion()).isEqualTo("1");
        assertThat(floats(r.body(), 0)).containsExactly(want, within(1e-5f));
    }

    /** The repository index's reason for m version 1. */
    private static String reason(NodeFixture f) {
        return f
                .client
                .call(GRPCInferenceServiceGrpcClient.RepositoryIndex, RepositoryIndexRequest.getDefaultInstance())
                .body()
                .getModelsList()
                .stream()
                .filter(m -> m.getName().equals("m") && m.getVersion().equals("1"))
                .findFirst()
                .orElseThrow()
                .getReason();
    }

    private static float[] reference(byte[] model) throws Exception {
        return Requests.reference(
                model,
                Map.of("input", env -> OnnxTensor.createTensor(env, FloatBuffer.wrap(X), new long[] {1, 16})),
                "output");
    }
}
