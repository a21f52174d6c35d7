package dev.modelmux.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.PoolConfig;
import dev.modelmux.gpu.PoolEvent;
import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.config.ModelConfig;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** Shared test fixtures: artifacts, load specs, a fake clock and an event recorder. */
final class TestModels {
    private TestModels() {}

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static LoadSpec spec(String model, byte[] bytes) {
        return spec(model, bytes, Optional.empty(), false);
    }

    static LoadSpec spec(String model, byte[] bytes, Optional<ModelConfig> config, boolean pinned) {
        Artifact artifact = new Artifact(model, 1, bytes, sha256(bytes));
        return new LoadSpec(bytes.length, config, () -> artifact, pinned);
    }

    static DeviceSpec cpu(String id, long capacity, int concurrency) {
        return new DeviceSpec(id, DeviceKind.CPU, 0, capacity, concurrency);
    }

    static PoolConfig config(long guardNanos, DeviceSpec... devices) {
        return new PoolConfig(List.of(devices), PoolConfig.DEFAULT_FOOTPRINT_FACTOR, 2, guardNanos);
    }

    /** A pool whose measured footprint is the pre-scan's initializer bytes, so ledger figures are exact. */
    static OrtDevicePool exactPool(PoolConfig config, FakeClock clock, Events events) {
        return new OrtDevicePool(config, clock, events, FootprintMeter.initializerBytes(), ScanLimits.defaults(), 0);
    }

    static void assertWithinBudget(DevicePool pool) {
        for (DeviceSnapshot d : pool.snapshot()) {
            assertThat(d.usedBytes()).as("used on %s", d.spec().id()).isNotNegative();
            assertThat(d.reservedBytes()).as("reserved on %s", d.spec().id()).isNotNegative();
            assertThat(d.usedBytes() + d.reservedBytes())
                    .as("used + reserved on %s", d.spec().id())
                    .isLessThanOrEqualTo(d.spec().capacityBytes());
        }
    }

    /**
     * The failure of a load that must fail. A load that succeeds instead has its lease closed first,
     * so that the failing test does not also hang the pool's close().
     */
    static ModelLoadException loadFailure(CompletableFuture<Lease> acquired) throws Exception {
        try {
            acquired.get(60, TimeUnit.SECONDS).close();
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(ModelLoadException.class);
            return (ModelLoadException) e.getCause();
        }
        throw new AssertionError("the load succeeded; a failure was expected");
    }

    /** A clock that moves only when told. */
    static final class FakeClock implements LongSupplier {
        private final AtomicLong now = new AtomicLong(1_000_000_000L);

        @Override
        public long getAsLong() {
            return now.get();
        }

        void advance(long nanos) {
            now.addAndGet(nanos);
        }
    }

    /** Records events and the thread each was published on. */
    static final class Events implements PoolEvent.Listener {
        final List<PoolEvent> all = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        final List<AssertionError> violations = new CopyOnWriteArrayList<>();
        /** Checked at every event, on the publishing thread; failures are collected in {@link #violations}. */
        volatile Runnable check = () -> {};

        @Override
        public void on(PoolEvent event) {
            all.add(event);
            threads.add(Thread.currentThread().getName());
            try {
                check.run();
            } catch (AssertionError e) {
                violations.add(e);
            }
        }

        <T extends PoolEvent> List<T> of(Class<T> type) {
            return all.stream().filter(type::isInstance).map(type::cast).toList();
        }
    }
}
