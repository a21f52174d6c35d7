package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.DeviceSnapshot.State;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.gpu.Executions;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.ModelLoadException.Kind;
import dev.modelmux.gpu.PoolConfig;
import dev.modelmux.gpu.PoolEvent;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.gpu.VictimChooser;
import dev.modelmux.repo.ScanLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link DevicePool} on ONNX Runtime. This class owns the residents' state machine (see
 * {@link Slot}): leases open and close here, unloads begin here. {@link DevicePicker} picks the
 * device of a new load, {@link LoadPath} runs it, {@link RoomMaker} evicts to make room (choosing
 * with {@link EvictionPolicy}), {@link SlotCloser} closes sessions, {@link OrtLease} runs inferences.
 *
 * <p>Threads: the caller's thread only does bookkeeping (find or create the slot, pick a device).
 * Reservations, evictions, loads, commits and session closes of a device all run on its single
 * load thread, so for each device exactly one thread ever takes bytes from its ledger; that is
 * what makes "evict, then reserve" race-free. Leases open and close from any thread under the
 * lock of {@link PoolState}, which also guards every slot's state; it is never held across ONNX
 * Runtime calls.
 */
public final class OrtDevicePool implements DevicePool {
    private static final Logger log = LoggerFactory.getLogger(OrtDevicePool.class);

    private final List<DeviceSpec> specs;
    private final LongSupplier clock;
    private final double footprintFactor;
    private final PoolState state;
    private final DevicePicker picker;
    private final LoadPath loads;
    private final SlotCloser closer;
    private volatile Executions executions = Executions.NONE;

    /** The production pool: RSS-measured footprints, default pre-scan limits and queue bounds. */
    public static OrtDevicePool create(PoolConfig config, LongSupplier nanoClock, PoolEvent.Listener listener) {
        return new OrtDevicePool(config, nanoClock, listener, new RssFootprintMeter(), ScanLimits.defaults(), 0, null);
    }

    /** The production pool with a victim chooser other than least recently used. */
    public static OrtDevicePool create(
            PoolConfig config, LongSupplier nanoClock, PoolEvent.Listener listener, VictimChooser chooser) {
        return new OrtDevicePool(
                config, nanoClock, listener, new RssFootprintMeter(), ScanLimits.defaults(), 0, chooser);
    }

    public OrtDevicePool(
            PoolConfig config,
            LongSupplier nanoClock,
            PoolEvent.Listener listener,
            FootprintMeter meter,
            ScanLimits limits,
            int inferQueueCapacity) {
        this(config, nanoClock, listener, meter, limits, inferQueueCapacity, null);
    }

    /**
     * @param meter how footprints are measured ({@link FootprintMeter#initializerBytes()} makes
     *     ledger arithmetic exact in tests)
     * @param inferQueueCapacity bound of each device's inference queue; 0 for
     *     {@code concurrency x} {@value DeviceWorkers#QUEUE_PER_THREAD}
     */
    public OrtDevicePool(
            PoolConfig config,
            LongSupplier nanoClock,
            PoolEvent.Listener listener,
            FootprintMeter meter,
            ScanLimits limits,
            int inferQueueCapacity,
            VictimChooser chooser) {
        Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        Objects.requireNonNull(listener, "listener");
        this.specs = config.devices();
        this.footprintFactor = config.footprintFactor();
        OrtRuntime runtime = OrtRuntime.get(config.intraOpThreads());
        List<PoolDevice> devices = new ArrayList<>();
        for (DeviceSpec spec : specs) {
            int queue =
                    inferQueueCapacity > 0 ? inferQueueCapacity : spec.concurrency() * DeviceWorkers.QUEUE_PER_THREAD;
            devices.add(new PoolDevice(spec, new DeviceWorkers(spec, queue)));
        }
        this.state = new PoolState(devices, nanoClock, listener);
        this.closer = new SlotCloser(state);
        RoomMaker room = new RoomMaker(state, closer, new EvictionPolicy(config.evictionGuardNanos()), chooser);
        this.picker = new DevicePicker(state, room, runtime::cudaAvailable);
        this.loads = new LoadPath(
                state,
                new ModelLoader(runtime, meter, limits, nanoClock, config::runLimitBytes),
                room,
                this::openLease);
        log.info("device pool: {}", specs);
    }

    @Override
    public List<DeviceSpec> devices() {
        return specs;
    }

    @Override
    public List<DeviceSnapshot> snapshot() {
        synchronized (state.lock) {
            List<DeviceSnapshot> out = new ArrayList<>(state.devices.size());
            for (PoolDevice d : state.devices) {
                MemoryLedger.Snapshot ledger = d.ledger.snapshot();
                List<DeviceSnapshot.Resident> residents = new ArrayList<>();
                for (Slot s : state.slotsOn(d)) {
                    long bytes = d.ledger.bytesOf(s.key).orElse(s.predictedBytes);
                    residents.add(
                            new DeviceSnapshot.Resident(s.key, s.state, bytes, s.pinned, s.inFlight, s.lastUsedNanos));
                }
                residents.sort(Comparator.comparing(DeviceSnapshot.Resident::key));
                out.add(new DeviceSnapshot(d.spec, ledger.usedBytes(), ledger.reservedBytes(), residents));
            }
            return out;
        }
    }

    @Override
    public CompletableFuture<Lease> acquire(ModelKey key, LoadSpec spec) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(spec, "spec");
        long predicted;
        try {
            predicted = LocalPlacement.predict(spec, footprintFactor);
        } catch (IllegalArgumentException e) { // a memory_bytes parameter that is not a number of bytes
            ModelLoadException failure = ModelLoader.failure(Kind.CONFIG, key, OrtMessages.of(e), null);
            state.publish(new PoolEvent.LoadFailed(key, "none", Kind.CONFIG, failure.getMessage(), 0));
            return CompletableFuture.failedFuture(failure);
        }
        CompletableFuture<Lease> lease = new CompletableFuture<>();
        Slot started;
        CompletableFuture<Void> unloading;
        synchronized (state.lock) {
            if (state.closing != null) {
                return CompletableFuture.failedFuture(PoolState.shutdown(key));
            }
            Slot s = state.slots.get(key);
            if (s == null) {
                started = new Slot(key, picker.choose(spec.config(), predicted), predicted, spec.pinned());
                started.waiters.add(lease);
                state.slots.put(key, started);
                unloading = null;
            } else if (s.state == State.READY) {
                return CompletableFuture.completedFuture(openLease(s));
            } else if (s.state == State.LOADING) {
                s.waiters.add(lease); // shares the load in flight
                return lease;
            } else {
                started = null;
                unloading = s.closed;
            }
        }
        if (unloading != null) {
            // Being unloaded or evicted: load it again once its sessions are closed.
            return unloading.thenCompose(v -> acquire(key, spec));
        }
        try {
            started.device.workers.load().execute(() -> loads.load(started, spec));
        } catch (RejectedExecutionException e) {
            loads.failed(started, null, PoolState.shutdown(key), clock.getAsLong());
        }
        return lease;
    }

    @Override
    public Optional<Lease> tryAcquire(ModelKey key) {
        synchronized (state.lock) {
            Slot s = state.slots.get(key);
            return s != null && s.state == State.READY && state.closing == null
                    ? Optional.of(openLease(s))
                    : Optional.empty();
        }
    }

    @Override
    public Optional<LoadedModel> resident(ModelKey key) {
        synchronized (state.lock) {
            Slot s = state.slots.get(key);
            return s != null && s.state == State.READY ? Optional.of(s.model) : Optional.empty();
        }
    }

    @Override
    public CompletableFuture<Void> unload(ModelKey key) {
        Slot s;
        boolean closeNow;
        synchronized (state.lock) {
            s = state.slots.get(key);
            if (s == null) {
                return CompletableFuture.completedFuture(null);
            }
            if (s.state == State.LOADING) {
                CompletableFuture<Void> loadEnded = s.loadEnded;
                return loadEnded.thenCompose(v -> unload(key));
            }
            if (s.state == State.UNLOADING) {
                return s.closed;
            }
            s.state = State.UNLOADING;
            closeNow = s.inFlight == 0;
        }
        if (closeNow) {
            closer.schedule(s);
        }
        return s.closed;
    }

    @Override
    public void pin(ModelKey key, boolean pinned) {
        synchronized (state.lock) {
            Slot s = state.slots.get(key);
            if (s != null) {
                s.pinned = pinned;
            }
        }
    }

    @Override
    public boolean close(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<Boolean> done;
        List<ModelKey> keys;
        synchronized (state.lock) {
            if (state.closing != null) {
                done = state.closing;
                keys = null;
            } else {
                state.closing = done = new CompletableFuture<>();
                keys = new ArrayList<>(state.slots.keySet());
            }
        }
        if (keys == null) {
            try {
                return done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                return false;
            }
        }
        boolean clean = true;
        try {
            CompletableFuture.allOf(keys.stream().map(this::unload).toArray(CompletableFuture[]::new))
                    .get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            clean = false;
            log.warn(
                    "closing the device pool: still in use after {} s: {}; their sessions stay open until their runs end "
                            + "(never freed under a running inference)",
                    timeout.toSeconds(),
                    busy());
        } catch (ExecutionException e) {
            log.warn("closing the device pool: {}", OrtMessages.of(e.getCause() == null ? e : e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            clean = false;
        }
        state.devices.forEach(d -> d.workers.shutdown());
        try {
            for (PoolDevice d : state.devices) {
                if (!d.workers.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    clean = false;
                    log.warn("device {} threads did not stop within {} s", d.spec.id(), timeout.toSeconds());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            clean = false;
        }
        log.info("device pool closed{}", clean ? "" : " (some sessions left open: runs outlived the close timeout)");
        done.complete(clean);
        return clean;
    }

    /** Where each execution is reported (statistics); set once at start, before traffic. */
    public void executions(Executions listener) {
        this.executions = listener;
    }

    /** Reports one run of {@code model} on {@code inputs} (on the device thread that ran it). */
    void executed(OrtModel model, List<TensorData> inputs, long[] timing, boolean ok) {
        long batch = 1;
        if (model.config().getMaxBatchSize() > 0
                && !inputs.isEmpty()
                && inputs.get(0).shape().length > 0) {
            batch = inputs.get(0).shape()[0];
        }
        try {
            executions.executed(model.key(), batch, timing[0], timing[1], timing[2], ok);
        } catch (RuntimeException e) {
            log.warn("execution listener failed", e);
        }
    }

    /** Keys whose sessions are not closed yet, with their open leases. */
    private List<String> busy() {
        synchronized (state.lock) {
            return state.slots.values().stream()
                    .map(s -> s.key + " (" + s.inFlight + " lease(s) open)")
                    .sorted()
                    .toList();
        }
    }

    /** The threads of device {@code id} (tests use it to hold an inference thread). */
    DeviceWorkers workers(String id) {
        return state.devices.stream()
                .filter(d -> d.spec.id().equals(id))
                .findFirst()
                .orElseThrow()
                .workers;
    }

    /** Caller holds the lock; the slot is READY. */
    private Lease openLease(Slot s) {
        s.inFlight++;
        s.uses++;
        return new OrtLease(this, s, s.model, clock);
    }

    /** Called once per lease, after it is closed and its last run has finished. */
    void leaseClosed(Slot s) {
        boolean closeNow;
        synchronized (state.lock) {
            s.inFlight--;
            s.lastUsedNanos = clock.getAsLong();
            closeNow = s.state == State.UNLOADING && s.inFlight == 0;
        }
        if (closeNow) {
            closer.schedule(s);
        }
    }
}
