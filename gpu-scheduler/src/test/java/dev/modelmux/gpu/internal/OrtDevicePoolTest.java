package dev.modelmux.gpu.internal;

import static dev.modelmux.gpu.internal.TestModels.assertWithinBudget;
import static dev.modelmux.gpu.internal.TestModels.config;
import static dev.modelmux.gpu.internal.TestModels.cpu;
import static dev.modelmux.gpu.internal.TestModels.exactPool;
import static dev.modelmux.gpu.internal.TestModels.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.PoolEvent;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.gpu.internal.TestModels.Events;
import dev.modelmux.gpu.internal.TestModels.FakeClock;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelParameter;
import java.io.FileNotFoundException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class OrtDevicePoolTest {
    private static final long MIB = 1L << 20;
    /** Guards against hangs only; nothing asserts how long anything took. */
    private static final long WAIT_S = 60;

    private final FakeClock clock = new FakeClock();
    private final Events events = new Events();

    private static byte[] mlp(long seed) {
        return OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .width(32)
                .depth(2)
                .seed(seed)
                .build();
    }

    private static <T> T await(CompletableFuture<T> f) throws Exception {
        return f.get(WAIT_S, TimeUnit.SECONDS);
    }

    private static TensorData floats(String name, long[] shape, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            raw.putFloat(v);
        }
        return TensorData.ofRaw(name, DataType.FP32, shape, raw.flip());
    }

    private static float[] randomFloats(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return out;
    }

    private static float[] toFloats(TensorData t) {
        FloatBuffer fb = t.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    @Test
    void lazyLoadThenRunEqualsDirectOrtSession() throws Exception {
        byte[] model = mlp(7);
        float[] input = randomFloats(3 * 16, 11);
        float[][] direct;
        OrtRuntime runtime = OrtRuntime.get(2);
        try (OrtSession session = runtime.env().createSession(model);
                OnnxTensor x = OnnxTensor.createTensor(runtime.env(), FloatBuffer.wrap(input), new long[] {3, 16});
                OrtSession.Result r = session.run(Map.of("input", x))) {
            direct = (float[][]) r.get(0).getValue();
        }

        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 2)), clock, events)) {
            ModelKey key = new ModelKey("mlp", 1);
            assertThat(pool.resident(key)).isEmpty();
            assertThat(pool.tryAcquire(key)).isEmpty();
            try (Lease lease = await(pool.acquire(key, spec("mlp", model)))) {
                assertThat(lease.model().key()).isEqualTo(key);
                assertThat(lease.model().sha256()).isEqualTo(TestModels.sha256(model));
                assertThat(lease.model().inputs())
                        .extracting(t -> t.name() + ":" + t.type() + Arrays.toString(t.dims()))
                        .containsExactly("input:FP32[-1, 16]");
                InferenceResult result =
                        await(lease.run(List.of(floats("input", new long[] {3, 16}, input)), Set.of()));
                assertThat(result.outputs()).hasSize(1);
                TensorData out = result.outputs().get(0);
                assertThat(out.name()).isEqualTo("output");
                assertThat(out.type()).isEqualTo(DataType.FP32);
                assertThat(out.shape()).containsExactly(3, 4);
                float[] got = toFloats(out);
                for (int row = 0; row < 3; row++) {
                    for (int col = 0; col < 4; col++) {
                        assertThat(got[row * 4 + col]).isCloseTo(direct[row][col], within(1e-6f));
                    }
                }
            }
            assertThat(pool.resident(key)).isPresent();
            assertThat(events.of(PoolEvent.Loaded.class)).hasSize(1);
            assertThat(events.threads.get(0)).isEqualTo("modelmux-cpu0-load");
        }
    }

    @Test
    void concurrentAcquiresShareOneLoad() throws Exception {
        ModelKey key = new ModelKey("shared", 1);
        LoadSpec spec = spec("shared", mlp(3));
        int callers = 16;
        ExecutorService threads = Executors.newFixedThreadPool(callers);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 2)), clock, events)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<CompletableFuture<Lease>>> calls = new ArrayList<>();
            for (int i = 0; i < callers; i++) {
                calls.add(threads.submit(() -> {
                    start.await();
                    return pool.acquire(key, spec);
                }));
            }
            start.countDown();
            List<Lease> leases = new ArrayList<>();
            for (Future<CompletableFuture<Lease>> call : calls) {
                leases.add(await(call.get(WAIT_S, TimeUnit.SECONDS)));
            }
            assertThat(events.of(PoolEvent.Loaded.class)).hasSize(1);
            assertThat(leases)
                    .extracting(Lease::model)
                    .containsOnly(leases.get(0).model());
            assertThat(pool.snapshot().get(0).residents())
                    .singleElement()
                    .satisfies(r -> assertThat(r.inFlight()).isEqualTo(callers));
            leases.forEach(Lease::close);
            assertThat(pool.snapshot().get(0).residents().get(0).inFlight()).isZero();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void evictsLeastRecentlyUsedIdleModelNeverOneWithAnOpenLease() throws Exception {
        byte[] a = mlp(1);
        byte[] b = mlp(2);
        byte[] c = mlp(3);
        long weights = OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .width(32)
                .depth(2)
                .weightBytesTotal();
        long predicted = (long) Math.ceil(a.length * 1.5);
        // Two residents (2 x weights) plus one reservation do not fit; one of each does.
        long capacity = weights + predicted + weights / 2;
        ModelKey ka = new ModelKey("a", 1);
        ModelKey kb = new ModelKey("b", 1);
        ModelKey kc = new ModelKey("c", 1);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", capacity, 1)), clock, events)) {
            events.check = () -> assertWithinBudget(pool); // at every load, eviction and unload too
            await(pool.acquire(ka, spec("a", a))).close();
            assertWithinBudget(pool);
            assertThat(pool.snapshot().get(0).usedBytes()).isEqualTo(weights);
            clock.advance(1_000);
            await(pool.acquire(kb, spec("b", b))).close();
            assertWithinBudget(pool);
            clock.advance(1_000);

            await(pool.acquire(kc, spec("c", c))).close(); // a is least recently used
            assertWithinBudget(pool);
            assertThat(events.of(PoolEvent.Evicted.class))
                    .singleElement()
                    .isEqualTo(new PoolEvent.Evicted(ka, "cpu0", weights, kc));
            assertThat(pool.resident(ka)).isEmpty();
            clock.advance(1_000);

            try (Lease heldOnB = pool.tryAcquire(kb).orElseThrow()) {
                clock.advance(1_000);
                // b is now least recently used but leased; c must go instead.
                await(pool.acquire(ka, spec("a", a))).close();
                assertWithinBudget(pool);
                assertThat(events.of(PoolEvent.Evicted.class))
                        .extracting(PoolEvent::key)
                        .containsExactly(ka, kc);
                assertThat(pool.resident(kb)).isPresent();
                clock.advance(1_000);

                // Only a is idle now: loading c evicts a; b stays while leased.
                await(pool.acquire(kc, spec("c", c))).close();
                assertWithinBudget(pool);
                assertThat(events.of(PoolEvent.Evicted.class))
                        .extracting(PoolEvent::key)
                        .containsExactly(ka, kc, ka);
                assertThat(heldOnB.model().key()).isEqualTo(kb);
            }
            assertThat(events.of(PoolEvent.Loaded.class)).hasSize(5);
            DeviceSnapshot snap = pool.snapshot().get(0);
            assertThat(snap.residents())
                    .extracting(DeviceSnapshot.Resident::key)
                    .containsExactly(kb, kc);
            assertThat(snap.usedBytes()).isEqualTo(2 * weights);
            assertThat(snap.reservedBytes()).isZero();
        }
        assertThat(events.violations).isEmpty();
    }

    @Test
    void pinnedModelsAreNeverEvictedAndTheLoadFailsWhenNothingElseCanGo() throws Exception {
        byte[] a = mlp(1);
        long weights = OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .width(32)
                .depth(2)
                .weightBytesTotal();
        long predicted = (long) Math.ceil(a.length * 1.5);
        long capacity = weights + predicted + weights / 2;
        ModelKey ka = new ModelKey("a", 1);
        ModelKey kb = new ModelKey("b", 1);
        ModelKey kc = new ModelKey("c", 1);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", capacity, 1)), clock, events)) {
            await(pool.acquire(ka, spec("a", a, Optional.empty(), true))).close();
            clock.advance(1_000);
            await(pool.acquire(kb, spec("b", mlp(2)))).close();
            pool.pin(kb, true);
            clock.advance(1_000);

            ModelLoadException e = TestModels.loadFailure(pool.acquire(kc, spec("c", mlp(3))));
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.NO_CAPACITY);
            assertThat(e.getMessage())
                    .contains(
                            "'c'", "cpu0", "predicted", "free of", String.valueOf(predicted), String.valueOf(capacity));
            assertThat(events.of(PoolEvent.Evicted.class)).isEmpty();
            assertThat(pool.resident(ka)).isPresent();
            assertThat(pool.resident(kb)).isPresent();
            assertWithinBudget(pool);
            assertThat(pool.snapshot().get(0).reservedBytes()).isZero();

            pool.pin(kb, false);
            await(pool.acquire(kc, spec("c", mlp(3)))).close();
            assertThat(events.of(PoolEvent.Evicted.class))
                    .extracting(PoolEvent::key)
                    .containsExactly(kb);
            assertWithinBudget(pool);
        }
    }

    @Test
    void churnGuardKeepsYoungModelsUntilTheClockPassesIt() throws Exception {
        byte[] a = mlp(1);
        long weights = OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .width(32)
                .depth(2)
                .weightBytesTotal();
        long capacity = weights + (long) Math.ceil(a.length * 1.5) + weights / 2;
        long guard = 5_000_000_000L;
        try (DevicePool pool = exactPool(config(guard, cpu("cpu0", capacity, 1)), clock, events)) {
            await(pool.acquire(new ModelKey("a", 1), spec("a", a))).close();
            await(pool.acquire(new ModelKey("b", 1), spec("b", mlp(2)))).close();
            assertThat(TestModels.loadFailure(pool.acquire(new ModelKey("c", 1), spec("c", mlp(3))))
                            .kind())
                    .isEqualTo(ModelLoadException.Kind.NO_CAPACITY);
            clock.advance(guard);
            await(pool.acquire(new ModelKey("c", 1), spec("c", mlp(3)))).close();
            assertThat(events.of(PoolEvent.Evicted.class))
                    .extracting(e -> e.key().model())
                    .containsExactly("a");
        }
    }

    @Test
    void hostileArtifactFailsWithArtifactAndReleasesItsReservation() throws Exception {
        byte[] garbage = new byte[4096];
        new SplittableRandom(99).nextBytes(garbage);
        ModelKey key = new ModelKey("garbage", 1);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            ModelLoadException e = TestModels.loadFailure(pool.acquire(key, spec("garbage", garbage)));
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.ARTIFACT);
            assertThat(e.getMessage())
                    .startsWith("model 'garbage' version 1: artifact rejected: ")
                    .doesNotContain("/tmp")
                    .containsOnlyOnce("'garbage'");
            DeviceSnapshot snap = pool.snapshot().get(0);
            assertThat(snap.reservedBytes()).isZero();
            assertThat(snap.usedBytes()).isZero();
            assertThat(snap.residents()).isEmpty();
            assertThat(events.of(PoolEvent.LoadFailed.class))
                    .singleElement()
                    .satisfies(f -> assertThat(f.kind()).isEqualTo(ModelLoadException.Kind.ARTIFACT));

            // A failed load is not cached: the next acquire tries again (and fails again).
            TestModels.loadFailure(pool.acquire(key, spec("garbage", garbage)));
            assertThat(events.of(PoolEvent.LoadFailed.class)).hasSize(2);
        }
    }

    @Test
    void malformedMemoryBytesFailsTheLoadAsConfig() throws Exception {
        var config = ModelConfig.newBuilder()
                .putParameters(
                        "memory_bytes",
                        ModelParameter.newBuilder().setStringValue("lots").build())
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            ModelLoadException e = TestModels.loadFailure(
                    pool.acquire(new ModelKey("odd", 1), spec("odd", mlp(1), Optional.of(config), false)));
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.CONFIG);
            assertThat(e.getMessage()).contains("memory_bytes");
            assertThat(events.of(PoolEvent.LoadFailed.class)).hasSize(1);
            assertThat(pool.snapshot().get(0).residents()).isEmpty();
        }
    }

    @Test
    void unreadableArtifactFailsWithoutLeakingThePath() throws Exception {
        LoadSpec spec = new LoadSpec(
                1000,
                Optional.empty(),
                () -> {
                    throw new FileNotFoundException("/srv/models/secret/1/model.onnx (No such file or directory)");
                },
                false);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            ModelLoadException e = TestModels.loadFailure(pool.acquire(new ModelKey("gone", 1), spec));
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.ARTIFACT);
            assertThat(e.getMessage()).doesNotContain("/srv", "secret").contains("could not be read");
            assertThat(pool.snapshot().get(0).reservedBytes()).isZero();
        }
    }

    @Test
    void unloadWaitsForTheOpenLease() throws Exception {
        ModelKey key = new ModelKey("held", 1);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            Lease lease = await(pool.acquire(key, spec("held", mlp(5))));
            CompletableFuture<Void> unloaded = pool.unload(key);
            assertThat(unloaded).isNotDone();
            assertThat(pool.tryAcquire(key)).isEmpty();
            assertThat(pool.resident(key)).isEmpty();
            assertThat(pool.snapshot().get(0).residents())
                    .singleElement()
                    .satisfies(r -> assertThat(r.state()).isEqualTo(DeviceSnapshot.State.UNLOADING));
            assertThat(pool.snapshot().get(0).usedBytes()).isPositive(); // still counted until closed

            // The open lease still serves.
            InferenceResult r = await(lease.run(List.of(floats("input", new long[] {1, 16}, new float[16])), Set.of()));
            assertThat(r.outputs()).hasSize(1);
            assertThat(events.of(PoolEvent.Unloaded.class)).isEmpty();

            lease.close();
            await(unloaded);
            assertThat(events.of(PoolEvent.Unloaded.class))
                    .singleElement()
                    .satisfies(e -> assertThat(e.bytes()).isPositive());
            assertThat(pool.snapshot().get(0).usedBytes()).isZero();
            assertThat(pool.snapshot().get(0).residents()).isEmpty();
            assertThat(await(pool.unload(key))).isNull(); // not resident: completes at once

            // Loads again on demand.
            await(pool.acquire(key, spec("held", mlp(5)))).close();
            assertThat(events.of(PoolEvent.Loaded.class)).hasSize(2);
        }
    }

    @Test
    void acquireDuringUnloadLoadsAgainOnceClosed() throws Exception {
        ModelKey key = new ModelKey("again", 1);
        LoadSpec spec = spec("again", mlp(4));
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            Lease first = await(pool.acquire(key, spec));
            CompletableFuture<Void> unloaded = pool.unload(key);
            CompletableFuture<Lease> second = pool.acquire(key, spec);
            assertThat(second).isNotDone();
            first.close();
            await(unloaded);
            try (Lease lease = await(second)) {
                assertThat(lease.model()).isNotSameAs(first.model());
            }
            assertThat(events.all)
                    .extracting(e -> e.getClass().getSimpleName())
                    .containsExactly("Loaded", "Unloaded", "Loaded");
        }
    }

    @Test
    void unloadDuringLoadWaitsForTheLoadThenForItsLeases() throws Exception {
        ModelKey key = new ModelKey("late", 1);
        try (OrtDevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            CountDownLatch hold = new CountDownLatch(1);
            pool.workers("cpu0").load().execute(() -> {
                try {
                    hold.await(); // the load queues behind this
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<Lease> acquired = pool.acquire(key, spec("late", mlp(4)));
            assertThat(pool.snapshot().get(0).residents())
                    .singleElement()
                    .satisfies(r -> assertThat(r.state()).isEqualTo(DeviceSnapshot.State.LOADING));
            CompletableFuture<Void> unloaded = pool.unload(key);
            hold.countDown();
            Lease lease = await(acquired);
            assertThat(events.of(PoolEvent.Loaded.class)).hasSize(1);
            assertThat(unloaded).isNotDone(); // the caller that asked first holds a lease
            lease.close();
            await(unloaded);
            assertThat(events.of(PoolEvent.Unloaded.class)).hasSize(1);
            assertThat(pool.snapshot().get(0).usedBytes()).isZero();
        }
    }

    @Test
    void aLoadQueuedAheadOfAnIdleUnloadFinishesThatUnloadForRoom() throws Exception {
        byte[] x = mlp(1);
        long weights = OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .width(32)
                .depth(2)
                .weightBytesTotal();
        long capacity = (long) Math.ceil(x.length * 1.5) + weights / 2; // one model at a time
        ModelKey kx = new ModelKey("x", 1);
        ModelKey ky = new ModelKey("y", 1);
        try (OrtDevicePool pool = exactPool(config(0, cpu("cpu0", capacity, 1)), clock, events)) {
            events.check = () -> assertWithinBudget(pool);
            await(pool.acquire(kx, spec("x", x))).close();
            CountDownLatch hold = new CountDownLatch(1);
            pool.workers("cpu0").load().execute(() -> {
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            CompletableFuture<Lease> y = pool.acquire(ky, spec("y", mlp(2))); // queued first
            CompletableFuture<Void> unloaded = pool.unload(kx); // its close queues behind y's load
            hold.countDown();
            await(y).close();
            await(unloaded);
            assertThat(events.all)
                    .extracting(
                            e -> e.getClass().getSimpleName() + " " + e.key().model())
                    .containsExactly("Loaded x", "Unloaded x", "Loaded y");
        }
        assertThat(events.violations).isEmpty();
    }

    @Test
    void randomMixFromManyThreadsKeepsTheLedgerExact() throws Exception {
        int models = 5;
        byte[][] bytes = new byte[models][];
        for (int i = 0; i < models; i++) {
            bytes[i] = mlp(i);
        }
        long weights = OnnxModelBuilder.mlp()
                .inputDim(16)
                .outputDim(4)
                .width(32)
                .depth(2)
                .weightBytesTotal();
        long capacity = weights + (long) Math.ceil(bytes[0].length * 1.5) + weights / 2; // two at most
        int threads = 8;
        ExecutorService pool8 = Executors.newFixedThreadPool(threads);
        OrtDevicePool pool = exactPool(config(0, cpu("cpu0", capacity, 2)), clock, events);
        events.check = () -> assertWithinBudget(pool);
        try {
            List<Future<Integer>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                workers.add(pool8.submit(() -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    int served = 0;
                    for (int op = 0; op < 40; op++) {
                        int m = random.nextInt(models);
                        ModelKey key = new ModelKey("m" + m, 1);
                        switch (random.nextInt(6)) {
                            case 0 -> await(pool.unload(key));
                            case 1 -> pool.pin(key, false);
                            default -> {
                                try (Lease lease = await(pool.acquire(key, spec("m" + m, bytes[m])))) {
                                    await(lease.run(
                                            List.of(floats("input", new long[] {1, 16}, new float[16])), Set.of()));
                                    served++;
                                } catch (ExecutionException e) {
                                    // Both slots leased by others: the load is refused, never squeezed in.
                                    assertThat(e.getCause())
                                            .isInstanceOfSatisfying(
                                                    ModelLoadException.class,
                                                    f -> assertThat(f.kind())
                                                            .isEqualTo(ModelLoadException.Kind.NO_CAPACITY));
                                }
                            }
                        }
                        assertWithinBudget(pool);
                    }
                    return served;
                }));
            }
            int served = 0;
            for (Future<Integer> w : workers) {
                served += w.get(WAIT_S, TimeUnit.SECONDS);
            }
            assertThat(served).isPositive();
            DeviceSnapshot end = pool.snapshot().get(0);
            assertThat(end.reservedBytes()).isZero();
            assertThat(end.residents()).allSatisfy(r -> assertThat(r.inFlight()).isZero());
            assertThat(end.usedBytes())
                    .isEqualTo(end.residents().stream()
                            .mapToLong(DeviceSnapshot.Resident::bytes)
                            .sum());
        } finally {
            pool8.shutdownNow();
            pool.close();
        }
        assertThat(pool.snapshot().get(0).usedBytes()).isZero();
        assertThat(events.violations).isEmpty();
        long loaded = events.of(PoolEvent.Loaded.class).size();
        long gone = events.of(PoolEvent.Evicted.class).size()
                + events.of(PoolEvent.Unloaded.class).size();
        assertThat(gone).isEqualTo(loaded);
    }

    @Test
    void inferenceRunsOnTheDeviceThreadNotTheCallers() throws Exception {
        ModelKey key = new ModelKey("where", 1);
        try (OrtDevicePool pool = exactPool(config(0, cpu("cpu7", 64 * MIB, 1)), clock, events);
                Lease lease = await(pool.acquire(key, spec("where", mlp(6))))) {
            // Hold the only inference thread so the run is still queued when we attach the callback.
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch holding = new CountDownLatch(1);
            pool.workers("cpu7").infer().execute(() -> {
                holding.countDown();
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            holding.await();
            CompletableFuture<String> thread = lease.run(
                            List.of(floats("input", new long[] {2, 16}, new float[32])), Set.of())
                    .thenApply(r -> Thread.currentThread().getName());
            assertThat(thread).isNotDone();
            hold.countDown();
            assertThat(await(thread))
                    .matches("modelmux-cpu7-infer-\\d+")
                    .isNotEqualTo(Thread.currentThread().getName());
        }
    }

    @Test
    void fullInferenceQueueRejectsAtOnce() throws Exception {
        ModelKey key = new ModelKey("busy", 1);
        try (OrtDevicePool pool = new OrtDevicePool(
                        config(0, cpu("cpu0", 64 * MIB, 1)),
                        clock,
                        events,
                        FootprintMeter.initializerBytes(),
                        ScanLimits.defaults(),
                        1);
                Lease lease = await(pool.acquire(key, spec("busy", mlp(6))))) {
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch holding = new CountDownLatch(1);
            pool.workers("cpu0").infer().execute(() -> {
                holding.countDown();
                try {
                    hold.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            holding.await();
            List<TensorData> in = List.of(floats("input", new long[] {1, 16}, new float[16]));
            CompletableFuture<InferenceResult> queued = lease.run(in, Set.of());
            CompletableFuture<InferenceResult> rejected = lease.run(in, Set.of());
            assertThat(rejected).isCompletedExceptionally();
            assertThatThrownBy(rejected::join).cause().isInstanceOfSatisfying(InferenceException.class, e -> {
                assertThat(e.badInput()).isFalse();
                assertThat(e.getMessage()).contains("cpu0", "overloaded");
            });
            hold.countDown();
            assertThat(await(queued).outputs()).hasSize(1);
        }
    }

    @Test
    void badShapesAndNamesAreBadInput() throws Exception {
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events);
                Lease lease = await(pool.acquire(new ModelKey("strict", 1), spec("strict", mlp(8))))) {
            assertThatThrownBy(() ->
                            await(lease.run(List.of(floats("input", new long[] {1, 15}, new float[15])), Set.of())))
                    .cause()
                    .isInstanceOfSatisfying(InferenceException.class, e -> {
                        assertThat(e.badInput()).isTrue();
                        assertThat(e.getMessage()).contains("input").doesNotContain(".cc", "onnxruntime_src", "ORT_");
                    });
            assertThatThrownBy(() ->
                            await(lease.run(List.of(floats("nope", new long[] {1, 16}, new float[16])), Set.of())))
                    .cause()
                    .isInstanceOfSatisfying(InferenceException.class, e -> {
                        assertThat(e.badInput()).isTrue();
                        assertThat(e.getMessage()).contains("unknown input 'nope'");
                    });
            assertThatThrownBy(() -> await(lease.run(
                            List.of(floats("input", new long[] {1, 16}, new float[16])), Set.of("missing"))))
                    .cause()
                    .isInstanceOfSatisfying(InferenceException.class, e -> {
                        assertThat(e.badInput()).isTrue();
                        assertThat(e.getMessage()).contains("unknown output 'missing'");
                    });
            // The model still serves after bad requests.
            assertThat(await(lease.run(List.of(floats("input", new long[] {1, 16}, new float[16])), Set.of("output")))
                            .outputs())
                    .hasSize(1);
        }
    }

    @Test
    void closeUnloadsEverythingAndRefusesNewWork() throws Exception {
        OrtDevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1), cpu("cpu1", 64 * MIB, 1)), clock, events);
        await(pool.acquire(new ModelKey("x", 1), spec("x", mlp(1)))).close();
        await(pool.acquire(new ModelKey("y", 1), spec("y", mlp(2)))).close();
        assertThat(pool.snapshot())
                .extracting(d -> d.residents().size())
                .containsExactly(1, 1); // most free bytes first
        pool.close();
        assertThat(events.of(PoolEvent.Unloaded.class)).hasSize(2);
        assertThat(pool.snapshot()).allSatisfy(d -> {
            assertThat(d.usedBytes()).isZero();
            assertThat(d.residents()).isEmpty();
        });
        assertThat(TestModels.loadFailure(pool.acquire(new ModelKey("x", 1), spec("x", mlp(1))))
                        .kind())
                .isEqualTo(ModelLoadException.Kind.SHUTDOWN);
        pool.close(); // idempotent
    }

    @Test
    void closeNeverFreesASessionUnderAnOpenLeaseAndGivesUpAfterItsBound() throws Exception {
        ModelKey held = new ModelKey("held", 1);
        ModelKey idle = new ModelKey("idle", 1);
        OrtDevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events);
        Lease lease = await(pool.acquire(held, spec("held", mlp(5))));
        await(pool.acquire(idle, spec("idle", mlp(6)))).close();

        assertThat(pool.close(Duration.ofMillis(200)))
                .as("a lease is still open")
                .isFalse();
        // The idle model closes (its close may outlast the bound on a loaded machine); the held one
        // does not, and its bytes are still counted.
        await(pool.unload(idle));
        assertThat(events.of(PoolEvent.Unloaded.class))
                .extracting(PoolEvent.Unloaded::key)
                .containsExactly(idle);
        assertThat(pool.snapshot().get(0).residents()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(held);
            assertThat(r.state()).isEqualTo(DeviceSnapshot.State.UNLOADING);
        });
        // New work is refused, on new and open leases alike.
        assertThat(TestModels.loadFailure(pool.acquire(new ModelKey("new", 1), spec("new", mlp(7))))
                        .kind())
                .isEqualTo(ModelLoadException.Kind.SHUTDOWN);
        assertThatThrownBy(() ->
                        await(lease.run(List.of(floats("input", new long[] {1, 16}, new float[16])), Set.of())))
                .hasCauseInstanceOf(InferenceException.class)
                .hasMessageContaining("shutting down");

        // The session closes when its last lease does, on the closing thread (the device threads are gone).
        lease.close();
        assertThat(events.of(PoolEvent.Unloaded.class))
                .extracting(PoolEvent.Unloaded::key)
                .containsExactly(idle, held);
        assertThat(pool.snapshot().get(0).usedBytes()).isZero();
        assertThat(pool.close(Duration.ofMillis(200)))
                .as("a second close reports the first one's outcome")
                .isFalse();
    }

    @Test
    void realMeterMeasuresAtLeastTheWeights() throws Exception {
        byte[] model = OnnxModelBuilder.mlp()
                .inputDim(64)
                .outputDim(8)
                .depth(1)
                .weightBytes(4 * MIB)
                .build();
        long weights = OnnxModelBuilder.mlp()
                .inputDim(64)
                .outputDim(8)
                .depth(1)
                .weightBytes(4 * MIB)
                .weightBytesTotal();
        try (DevicePool pool = DevicePool.create(config(0, cpu("cpu0", 512 * MIB, 1)), clock, events);
                Lease lease = await(pool.acquire(new ModelKey("measured", 1), spec("measured", model)))) {
            assertThat(lease.model().predictedBytes()).isEqualTo((long) Math.ceil(model.length * 1.5));
            assertThat(lease.model().measuredBytes()).isGreaterThanOrEqualTo(weights);
            assertThat(pool.snapshot().get(0).usedBytes())
                    .isEqualTo(lease.model().measuredBytes());
            PoolEvent.Loaded loaded = events.of(PoolEvent.Loaded.class).get(0);
            assertThat(loaded.predictedBytes()).isEqualTo(lease.model().predictedBytes());
            assertThat(loaded.measuredBytes()).isEqualTo(lease.model().measuredBytes());
        }
    }
}
