package dev.modelmux.node.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.gpu.Executions;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.PoolConfig;
import dev.modelmux.gpu.PoolEvent;
import dev.modelmux.node.TestRepo;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalog on a real repository in a temp folder and a real device pool (ONNX Runtime on one CPU
 * device): version policies, the gate of a new version while the old one serves, failures tied to
 * their file, explicit mode, config problems and predicted sizes.
 */
class ModelManagerTest {
    private static final Duration PATIENCE = Duration.ofMinutes(2);
    private static final double FACTOR = 1.5;

    @TempDir
    Path tmp;

    private final List<PoolEvent> events = new CopyOnWriteArrayList<>();
    private Vertx vertx;
    private WorkerExecutor worker;
    private HeldPool pool;
    private TestRepo repo;
    private ModelRepository repository;

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        worker = vertx.createSharedWorkerExecutor("catalog-test-repo", 1);
        pool = new HeldPool(DevicePool.create(
                new PoolConfig(List.of(DeviceSpec.cpu("cpu0", 256L << 20, 2)), FACTOR, 1, 0),
                System::nanoTime,
                events::add));
        repo = new TestRepo(Files.createDirectories(tmp.resolve("repo")));
    }

    @AfterEach
    void stop() {
        pool.close();
        if (repository != null) {
            repository.close();
        }
        result(worker.close());
        result(vertx.close());
    }

    // ---------------------------------------------------------------- version policies

    @Test
    void theVersionPolicyDecidesWhichVersionsServe() throws Exception {
        repo.mlp("m", 1, 16, 4, 20_000, 1).mlp("m", 2, 16, 4, 20_000, 2).mlp("m", 3, 16, 4, 20_000, 3);
        ModelManager models = manager(ControlMode.POLL);

        result(models.rescan());
        assertThat(models.servedVersions("m")).as("default: the latest one").containsExactly(3L);

        policy("m", "latest { num_versions: 2 }");
        result(models.rescan());
        assertThat(models.servedVersions("m")).containsExactly(2L, 3L);
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(3);
        assertThat(versionOf(models.acquire("m", "2"))).isEqualTo(2);

        policy("m", "specific { versions: [1] }");
        result(models.rescan());
        // The policy is in config.pbtxt, so the copies loaded under the old config are unloaded; the
        // versions it dropped stay served (retained) until version 1 has passed its gate.
        assertThat(pool.resident(new ModelKey("m", 2))).isEmpty();
        assertThat(pool.resident(new ModelKey("m", 3))).isEmpty();
        assertThat(models.record("m").retained()).containsExactly(2L, 3L);
        assertThat(models.servedVersions("m")).containsExactly(1L, 2L, 3L);
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);
        assertThat(models.servedVersions("m")).containsExactly(1L);
        assertThatThrownBy(() -> models.acquire("m", "3"))
                .isInstanceOf(ServingException.class)
                .hasMessage("model 'm' has no version 3 being served; served versions: [1]");
        await().atMost(PATIENCE)
                .until(() -> state(models, "3").equals("UNAVAILABLE: not selected by the version policy"));

        policy("m", "all { }");
        result(models.rescan());
        assertThat(models.servedVersions("m")).containsExactly(1L, 2L, 3L);
    }

    // ---------------------------------------------------------------- the gate

    @Test
    void aNewVersionIsGatedWhileTheOldOneServesThenReplacesIt() throws Exception {
        repo.mlp("m", 1, 16, 4, 20_000, 1);
        ModelManager models = manager(ControlMode.POLL);
        result(models.rescan());
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);

        ModelKey v2 = new ModelKey("m", 2);
        pool.hold(v2);
        repo.file("m", 2, TestRepo.mlpBytes(16, 4, 20_000, 2));
        result(models.rescan());

        // Version 2 is selected and its gate is running (held open): requests get version 1.
        ModelRecord gating = models.record("m");
        assertThat(gating.top()).contains(2L);
        assertThat(gating.retained()).containsExactly(1L);
        assertThat(gating.passed()).containsExactly(1L);
        assertThat(pool.waiting(v2)).isTrue();
        for (int i = 0; i < 5; i++) {
            assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);
        }

        pool.release(v2);
        await().atMost(PATIENCE).until(() -> models.record("m").passed().contains(2L));
        assertThat(models.record("m").retained()).isEmpty();
        assertThat(models.record("m").sha256()).containsKeys(1L, 2L);
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(2);
        // The version it replaced is unloaded once its leases are closed.
        await().atMost(PATIENCE).until(() -> pool.resident(new ModelKey("m", 1)).isEmpty());
        assertThat(models.servedVersions("m")).containsExactly(2L);
    }

    @Test
    void aFailedGateStaysUntilItsFileChanges() throws Exception {
        repo.mlp("m", 1, 16, 4, 20_000, 1);
        ModelManager models = manager(ControlMode.POLL);
        result(models.rescan());
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);

        byte[] garbage = new byte[4096];
        new Random(3).nextBytes(garbage);
        repo.file("m", 2, garbage);
        result(models.rescan());
        await().atMost(PATIENCE).until(() -> models.record("m").failures().containsKey(2L));
        String reason = models.record("m").failures().get(2L).reason();
        assertThat(reason).contains("m").doesNotContain(tmp.toString());

        assertThat(versionOf(models.acquire("m", "")))
                .as("the old version serves")
                .isEqualTo(1);
        assertThatThrownBy(() -> models.acquire("m", "2"))
                .isInstanceOf(ServingException.class)
                .hasMessage("model 'm' version 2 is unavailable: " + reason);
        assertThat(state(models, "2")).isEqualTo("UNAVAILABLE: " + reason);

        // Unchanged file: the failure stands and the version is not tried again.
        result(models.rescan());
        assertThat(models.record("m").failures().get(2L).reason()).isEqualTo(reason);
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);
        assertThat(loadFailures(2)).isEqualTo(1);

        // A new file clears it; the new file passes and takes over.
        repo.file("m", 2, TestRepo.mlpBytes(16, 4, 20_000, 2));
        result(models.rescan());
        assertThat(models.record("m").failures()).isEmpty();
        await().atMost(PATIENCE).until(() -> models.record("m").passed().contains(2L));
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(2);
        await().atMost(PATIENCE).until(() -> pool.resident(new ModelKey("m", 1)).isEmpty());
    }

    // ---------------------------------------------------------------- explicit mode

    @Test
    void inExplicitModeOnlyTheRepositoryApiAddsAndRemovesModels() throws Exception {
        repo.mlp("m", 1, 16, 4, 20_000, 1);
        byte[] garbage = new byte[4096];
        new Random(5).nextBytes(garbage);
        repo.mlp("broken", 1, 16, 4, 20_000, 1).file("broken", 2, garbage);
        ModelManager models = manager(ControlMode.EXPLICIT);

        result(models.rescan());
        assertThat(models.modelNames()).isEmpty();
        assertThatThrownBy(() -> models.acquire("m", ""))
                .isInstanceOf(ServingException.class)
                .hasMessage("model 'm' is not loaded; load it through the repository API");

        result(models.loadModel("m"));
        assertThat(models.modelNames()).containsExactly("m");
        assertThat(pool.resident(new ModelKey("m", 1))).isPresent();
        assertThat(models.ready("m", "", ModelReadiness.LOADED)).isTrue();
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);

        assertThat(failure(models.loadModel("nope"))).hasMessage("model 'nope' is not in the repository");
        // An explicit load tries a failed version again (it forgets the failure first).
        assertThat(failure(models.loadModel("broken"))).hasMessageContaining("broken");
        assertThat(failure(models.loadModel("broken"))).hasMessageContaining("broken");
        assertThat(loadFailures(2)).isEqualTo(2);

        result(models.unloadModel("m"));
        assertThat(models.modelNames()).containsExactly("broken");
        assertThat(pool.resident(new ModelKey("m", 1))).isEmpty();
        assertThatThrownBy(() -> models.record("m")).isInstanceOf(ServingException.class);
        assertThat(failure(models.unloadModel("m"))).hasMessage("model 'm' is not loaded");
    }

    // ---------------------------------------------------------------- config problems

    @Test
    void aConfigProblemKeepsThePreviousConfigServing() throws Exception {
        repo.mlp("m", 1, 16, 4, 20_000, 1);
        ModelManager models = manager(ControlMode.POLL);
        result(models.rescan());
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);
        ModelRecord good = models.record("m");

        repo.config("m", "max_batch_size: oops\n");
        result(models.rescan());
        ModelRecord broken = models.record("m");
        assertThat(broken.configProblem()).hasValueSatisfying(p -> assertThat(p).contains("config.pbtxt"));
        assertThat(broken.config()).isEqualTo(good.config());
        assertThat(pool.resident(new ModelKey("m", 1))).as("not unloaded").isPresent();
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);
        assertThat(state(models, "1"))
                .isEqualTo("READY: " + broken.configProblem().get());

        // Valid, but not what the loaded copy takes.
        repo.config("m", TestRepo.mlpConfig("m", 8, 4, 8));
        result(models.rescan());
        ModelRecord mismatched = models.record("m");
        assertThat(mismatched.configProblem())
                .hasValueSatisfying(
                        p -> assertThat(p).startsWith("new config.pbtxt does not match the loaded model: "));
        assertThat(mismatched.config()).isEqualTo(good.config());
        assertThat(versionOf(models.acquire("m", ""))).isEqualTo(1);

        repo.config("m", TestRepo.mlpConfig("m", 16, 4, 8));
        result(models.rescan());
        assertThat(models.record("m").configProblem()).isEmpty();
        assertThat(pool.resident(new ModelKey("m", 1)))
                .as("the same config: still loaded")
                .isPresent();
    }

    @Test
    void aModelWhoseOnlyConfigIsBrokenIsUnavailableWithTheReason() throws Exception {
        repo.mlp("m", 1, 16, 4, 20_000, 1).config("m", "max_batch_size: oops\n");
        ModelManager models = manager(ControlMode.POLL);
        result(models.rescan());

        String problem = models.record("m").configProblem().orElseThrow();
        assertThatThrownBy(() -> models.acquire("m", ""))
                .isInstanceOf(ServingException.class)
                .hasMessage("model 'm' is unavailable: " + problem);
        assertThat(state(models, "1")).isEqualTo("UNAVAILABLE: " + problem);
        assertThat(models.placementSpecs())
                .extracting(ModelManager.PlacementSpec::model)
                .containsExactly("m");
    }

    // ---------------------------------------------------------------- sizes

    @Test
    void predictedSizesAreTheArtifactTimesTheFactorOrTheConfiguredBytesPerInstance() throws Exception {
        repo.mlp("plain", 1, 16, 4, 20_000, 1);
        repo.mlp("sized", 1, 16, 4, 20_000, 2)
                .config(
                        "sized",
                        TestRepo.mlpConfig("sized", 16, 4, 8)
                                + "instance_group [ { count: 2 kind: KIND_CPU } ]\n"
                                + "parameters { key: \"memory_bytes\" value { string_value: \"1000000\" } }\n"
                                + "parameters { key: \"min_copies\" value { string_value: \"2\" } }\n"
                                + "parameters { key: \"pinned\" value { string_value: \"true\" } }\n");
        ModelManager models = manager(ControlMode.POLL);
        result(models.rescan());
        long plainBytes = Files.size(tmp.resolve("repo/plain/1/model.onnx"));

        assertThat(models.artifactBytes("plain", 1)).isEqualTo(plainBytes);
        assertThat(models.predictedBytes("plain", 1)).isEqualTo((long) Math.ceil(plainBytes * FACTOR));
        assertThat(models.predictedBytes("sized", 1)).isEqualTo(2_000_000L);
        assertThat(models.artifactBytes("absent", 1)).isZero();
        assertThat(models.predictedBytes("absent", 1)).isZero();
        assertThat(models.placementSpecs())
                .containsExactlyInAnyOrder(
                        new ModelManager.PlacementSpec(
                                "plain", 1, plainBytes, (long) Math.ceil(plainBytes * FACTOR), false, 0, 0, 0),
                        new ModelManager.PlacementSpec(
                                "sized",
                                1,
                                Files.size(tmp.resolve("repo/sized/1/model.onnx")),
                                2_000_000L,
                                true,
                                2,
                                0,
                                0));

        // The device reserves the same figure before it loads.
        result(models.loadVersion("plain", 1));
        assertThat(events)
                .filteredOn(PoolEvent.Loaded.class::isInstance)
                .map(e -> ((PoolEvent.Loaded) e).predictedBytes())
                .containsExactly(models.predictedBytes("plain", 1));
    }

    // ---------------------------------------------------------------- helpers

    private ModelManager manager(ControlMode mode) throws Exception {
        repository = ModelRepository.open(repo.root.toString(), RepositoryOptions.defaults());
        return new ModelManager(vertx, repository, pool, worker, mode, FACTOR);
    }

    private void policy(String model, String policy) {
        repo.config(model, TestRepo.mlpConfig(model, 16, 4, 8) + "version_policy { " + policy + " }\n");
    }

    /** The version a lease holds; closes the lease. */
    private static long versionOf(Future<Lease> lease) {
        try (Lease l = result(lease)) {
            return l.model().key().version();
        }
    }

    private static String state(ModelManager models, String version) {
        return models.index(false).stream()
                .filter(e -> e.name().equals("m") && e.version().equals(version))
                .map(e -> e.state() + ": " + e.reason())
                .map(s -> s.endsWith(": ") ? s.substring(0, s.length() - 2) : s)
                .findFirst()
                .orElseThrow();
    }

    private long loadFailures(long version) {
        return events.stream()
                .filter(e -> e instanceof PoolEvent.LoadFailed f && f.key().version() == version)
                .count();
    }

    private static Throwable failure(Future<?> f) {
        try {
            f.toCompletionStage().toCompletableFuture().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a failure");
    }

    private static <T> T result(Future<T> f) {
        try {
            return f.toCompletionStage().toCompletableFuture().get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new RuntimeException(e.getCause());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    /**
     * The real pool, with the loads of chosen keys held open: while a key is held, its acquire
     * completes only on {@link #release} and it is not offered as ready (a load still in progress).
     */
    private static final class HeldPool implements DevicePool {
        private final DevicePool real;
        private final Map<ModelKey, CompletableFuture<Void>> held = new ConcurrentHashMap<>();
        private final Set<ModelKey> asked = ConcurrentHashMap.newKeySet();

        HeldPool(DevicePool real) {
            this.real = real;
        }

        void hold(ModelKey key) {
            held.put(key, new CompletableFuture<>());
        }

        void release(ModelKey key) {
            held.remove(key).complete(null);
        }

        /** Whether a load of a held key was asked for. */
        boolean waiting(ModelKey key) {
            return asked.contains(key);
        }

        @Override
        public List<DeviceSpec> devices() {
            return real.devices();
        }

        @Override
        public List<DeviceSnapshot> snapshot() {
            return real.snapshot();
        }

        @Override
        public CompletableFuture<Lease> acquire(ModelKey key, LoadSpec spec) {
            CompletableFuture<Void> gate = held.get(key);
            if (gate == null) {
                return real.acquire(key, spec);
            }
            asked.add(key);
            return real.acquire(key, spec).thenCombine(gate, (lease, released) -> lease);
        }

        @Override
        public Optional<Lease> tryAcquire(ModelKey key) {
            return held.containsKey(key) ? Optional.empty() : real.tryAcquire(key);
        }

        @Override
        public Optional<LoadedModel> resident(ModelKey key) {
            return held.containsKey(key) ? Optional.empty() : real.resident(key);
        }

        @Override
        public CompletableFuture<Void> unload(ModelKey key) {
            return real.unload(key);
        }

        @Override
        public void executions(Executions listener) {
            real.executions(listener);
        }

        @Override
        public void pin(ModelKey key, boolean pinned) {
            real.pin(key, pinned);
        }

        @Override
        public boolean close(Duration timeout) {
            return real.close(timeout);
        }
    }
}
