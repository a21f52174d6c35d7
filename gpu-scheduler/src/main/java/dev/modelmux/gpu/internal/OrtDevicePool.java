package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceKind;
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
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.config.ModelConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * {@link Slot}) and the ledgers; {@link ModelLoader} does the ONNX Runtime work of a load,
 * {@link EvictionPolicy} picks victims, {@link OrtLease} runs inferences.
 *
 * <p>Threads: the caller's thread only does bookkeeping (find or create the slot, pick a device).
 * Reservations, evictions, loads, commits and session closes of a device all run on its single
 * load thread, so for each device exactly one thread ever takes bytes from its ledger; that is
 * what makes "evict, then reserve" race-free. Leases open and close from any thread under
 * {@link #lock}, which also guards every slot's state; it is never held across ONNX Runtime calls.
 */
public final class OrtDevicePool implements DevicePool {
    private static final Logger log = LoggerFactory.getLogger(OrtDevicePool.class);

    /** A device and what belongs to it. */
    static final class Device {
        final DeviceSpec spec;
        final MemoryLedger ledger;
        final DeviceWorkers workers;

        Device(DeviceSpec spec, DeviceWorkers workers) {
            this.spec = spec;
            this.ledger = new MemoryLedger(spec.capacityBytes());
            this.workers = workers;
        }
    }

    private final List<DeviceSpec> specs;
    private final List<Device> devices = new ArrayList<>();
    private final LongSupplier clock;
    private final PoolEvent.Listener listener;
    private final double footprintFactor;
    private final OrtRuntime runtime;
    private final ModelLoader loader;
    private final EvictionPolicy policy;
    private final VictimChooser chooser;

    private final Object lock = new Object();
    private volatile Executions executions = Executions.NONE;
    /** At most one slot per key, over all devices. Guarded by {@link #lock}. */
    private final Map<ModelKey, Slot> slots = new HashMap<>();
    /** Non-null once close() has started. Guarded by {@link #lock}. */
    private CompletableFuture<Boolean> closing;

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
        this.chooser = chooser;
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.specs = config.devices();
        this.footprintFactor = config.footprintFactor();
        this.runtime = OrtRuntime.get(config.intraOpThreads());
        this.loader = new ModelLoader(runtime, meter, limits, nanoClock);
        this.policy = new EvictionPolicy(config.evictionGuardNanos());
        for (DeviceSpec spec : specs) {
            int queue =
                    inferQueueCapacity > 0 ? inferQueueCapacity : spec.concurrency() * DeviceWorkers.QUEUE_PER_THREAD;
            devices.add(new Device(spec, new DeviceWorkers(spec, queue)));
        }
        log.info("device pool: {}", specs);
    }

    @Override
    public List<DeviceSpec> devices() {
        return specs;
    }

    @Override
    public List<DeviceSnapshot> snapshot() {
        synchronized (lock) {
            List<DeviceSnapshot> out = new ArrayList<>(devices.size());
            for (Device d : devices) {
                MemoryLedger.Snapshot ledger = d.ledger.snapshot();
                List<DeviceSnapshot.Resident> residents = new ArrayList<>();
                for (Slot s : slotsOn(d)) {
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
            publish(new PoolEvent.LoadFailed(key, "none", Kind.CONFIG, failure.getMessage(), 0));
            return CompletableFuture.failedFuture(failure);
        }
        CompletableFuture<Lease> lease = new CompletableFuture<>();
        Slot started;
        CompletableFuture<Void> unloading;
        synchronized (lock) {
            if (closing != null) {
                return CompletableFuture.failedFuture(shutdown(key));
            }
            Slot s = slots.get(key);
            if (s == null) {
                started = new Slot(key, chooseDevice(spec.config(), predicted), predicted, spec.pinned());
                started.waiters.add(lease);
                slots.put(key, started);
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
            started.device.workers.load().execute(() -> load(started, spec));
        } catch (RejectedExecutionException e) {
            loadFailed(started, null, shutdown(key), clock.getAsLong());
        }
        return lease;
    }

    @Override
    public Optional<Lease> tryAcquire(ModelKey key) {
        synchronized (lock) {
            Slot s = slots.get(key);
            return s != null && s.state == State.READY && closing == null
                    ? Optional.of(openLease(s))
                    : Optional.empty();
        }
    }

    @Override
    public Optional<LoadedModel> resident(ModelKey key) {
        synchronized (lock) {
            Slot s = slots.get(key);
            return s != null && s.state == State.READY ? Optional.of(s.model) : Optional.empty();
        }
    }

    @Override
    public CompletableFuture<Void> unload(ModelKey key) {
        Slot s;
        boolean closeNow;
        synchronized (lock) {
            s = slots.get(key);
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
            scheduleClose(s);
        }
        return s.closed;
    }

    @Override
    public void pin(ModelKey key, boolean pinned) {
        synchronized (lock) {
            Slot s = slots.get(key);
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
        synchronized (lock) {
            if (closing != null) {
                done = closing;
                keys = null;
            } else {
                closing = done = new CompletableFuture<>();
                keys = new ArrayList<>(slots.keySet());
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
        devices.forEach(d -> d.workers.shutdown());
        try {
            for (Device d : devices) {
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
        synchronized (lock) {
            return slots.values().stream()
                    .map(s -> s.key + " (" + s.inFlight + " lease(s) open)")
                    .sorted()
                    .toList();
        }
    }

    /** The threads of device {@code id} (tests use it to hold an inference thread). */
    DeviceWorkers workers(String id) {
        return devices.stream().filter(d -> d.spec.id().equals(id)).findFirst().orElseThrow().workers;
    }

    // ---- the load path, on the device's load thread ----

    private void load(Slot s, LoadSpec spec) {
        long start = clock.getAsLong();
        OrtModel model = null;
        try {
            synchronized (lock) {
                if (closing != null) {
                    throw shutdown(s.key);
                }
            }
            reserve(s);
            // loadNanos covers read, scan, sessions and warm-up, not the wait for room.
            model = loader.load(s.key, s.device.spec, spec, s.predictedBytes, clock.getAsLong());
            commit(s, model);
            loaded(s, model, spec.pinned() || ModelConfigs.pinned(model.config()));
        } catch (ModelLoadException e) {
            loadFailed(s, model, e, start);
        } catch (RuntimeException | Error e) {
            log.error("load of {} failed unexpectedly", s.key, e);
            loadFailed(
                    s,
                    model,
                    ModelLoader.failure(Kind.RUNTIME, s.key, "internal error: " + OrtMessages.of(e), null),
                    start);
        }
    }

    private void loaded(Slot s, OrtModel model, boolean pinned) {
        List<CompletableFuture<Lease>> waiters;
        List<Lease> leases = new ArrayList<>();
        synchronized (lock) {
            long now = clock.getAsLong();
            s.model = model;
            s.state = State.READY;
            s.pinned |= pinned;
            s.loadedAtNanos = now;
            s.lastUsedNanos = now;
            waiters = new ArrayList<>(s.waiters);
            s.waiters.clear();
            for (int i = 0; i < waiters.size(); i++) {
                leases.add(openLease(s));
            }
        }
        publish(new PoolEvent.Loaded(
                s.key, s.device.spec.id(), model.predictedBytes(), model.measuredBytes(), model.loadNanos()));
        log.info(
                "loaded {} on {}: {} instance(s), predicted {}, measured {}, {} ms",
                s.key,
                s.device.spec.id(),
                model.instances(),
                bytes(model.predictedBytes()),
                bytes(model.measuredBytes()),
                model.loadNanos() / 1_000_000);
        for (int i = 0; i < waiters.size(); i++) {
            if (!waiters.get(i).complete(leases.get(i))) {
                leases.get(i).close(); // the caller gave up (cancelled) meanwhile
            }
        }
        s.loadEnded.complete(null);
    }

    private void loadFailed(Slot s, OrtModel model, ModelLoadException e, long start) {
        if (model != null) {
            model.close();
        }
        List<CompletableFuture<Lease>> waiters;
        synchronized (lock) {
            if (s.inLedger) {
                s.device.ledger.release(s.key);
                s.inLedger = false;
            }
            slots.remove(s.key, s);
            waiters = new ArrayList<>(s.waiters);
            s.waiters.clear();
        }
        publish(new PoolEvent.LoadFailed(
                s.key, s.device.spec.id(), e.kind(), e.getMessage(), clock.getAsLong() - start));
        log.warn("load of {} on {} failed ({}): {}", s.key, s.device.spec.id(), e.kind(), e.getMessage());
        waiters.forEach(w -> w.completeExceptionally(e));
        s.loadEnded.complete(null);
        s.closed.complete(null);
    }

    /** Takes the predicted bytes on the slot's device, evicting first if needed. */
    private void reserve(Slot s) {
        Device d = s.device;
        String needs = "needs " + bytes(s.predictedBytes) + " (predicted)";
        long shortfall;
        synchronized (lock) {
            if (d.ledger.tryReserve(s.key, s.predictedBytes)) {
                s.inLedger = true;
                return;
            }
            shortfall = s.predictedBytes - d.ledger.freeBytes();
        }
        evict(d, s.key, shortfall, needs);
        synchronized (lock) {
            // Only this thread takes bytes from this ledger, so what eviction freed is still free.
            if (!d.ledger.tryReserve(s.key, s.predictedBytes)) {
                throw noCapacity(d, s.key, needs);
            }
            s.inLedger = true;
        }
    }

    /** Turns the reservation into the measured footprint, evicting more if the model came out larger. */
    private void commit(Slot s, OrtModel model) {
        Device d = s.device;
        long measured = model.measuredBytes();
        MemoryLedger.Commit c;
        synchronized (lock) {
            c = d.ledger.commit(s.key, measured);
        }
        if (c.committed()) {
            return;
        }
        String needs =
                "needs " + bytes(measured) + " (measured after loading; predicted " + bytes(s.predictedBytes) + ")";
        evict(d, s.key, c.shortfallBytes(), needs);
        synchronized (lock) {
            if (!d.ledger.commit(s.key, measured).committed()) {
                throw noCapacity(d, s.key, needs);
            }
        }
    }

    /**
     * Evicts idle residents of {@code d} to free {@code shortfall} bytes, all or nothing. Unloads
     * whose last lease has closed but whose close is still queued behind this task are finished
     * first, inline: their bytes are on their way out anyway.
     */
    private void evict(Device d, ModelKey forKey, long shortfall, String needs) {
        List<Slot> idleUnloads = new ArrayList<>();
        synchronized (lock) {
            for (Slot s : slotsOn(d)) {
                if (s.state == State.UNLOADING && s.inFlight == 0 && !s.closeStarted) {
                    idleUnloads.add(s);
                }
            }
        }
        for (Slot s : idleUnloads) {
            shortfall -= finishClose(s);
        }
        if (shortfall <= 0) {
            return;
        }
        List<Slot> victims = new ArrayList<>();
        synchronized (lock) {
            List<EvictionPolicy.Candidate> candidates = candidates(d);
            long now = clock.getAsLong();
            long needed = shortfall;
            List<EvictionPolicy.Candidate> chosen = chosenByChooser(d, candidates, needed, now)
                    .or(() -> policy.select(candidates, needed, now))
                    .orElseThrow(() -> noCapacity(d, forKey, needs));
            for (EvictionPolicy.Candidate c : chosen) {
                Slot v = slots.get(c.key());
                v.state = State.UNLOADING; // no lease can open from here on; inFlight is 0
                v.evictedFor = forKey;
                victims.add(v);
            }
        }
        for (Slot v : victims) {
            finishClose(v); // we are on d's load thread, where sessions close
        }
    }

    private ModelLoadException noCapacity(Device d, ModelKey key, String needs) {
        MemoryLedger.Snapshot l = d.ledger.snapshot();
        return ModelLoader.failure(
                Kind.NO_CAPACITY,
                key,
                needs + " but device " + d.spec.id() + " has "
                        + bytes(l.freeBytes()) + " free of " + bytes(l.capacityBytes())
                        + ", and evicting idle, unpinned models cannot free enough",
                null);
    }

    // ---- leases and closing ----

    /** Caller holds {@link #lock}; the slot is READY. */
    private Lease openLease(Slot s) {
        s.inFlight++;
        s.uses++;
        return new OrtLease(this, s, s.model, clock);
    }

    /** Called once per lease, after it is closed and its last run has finished. */
    void leaseClosed(Slot s) {
        boolean closeNow;
        synchronized (lock) {
            s.inFlight--;
            s.lastUsedNanos = clock.getAsLong();
            closeNow = s.state == State.UNLOADING && s.inFlight == 0;
        }
        if (closeNow) {
            scheduleClose(s);
        }
    }

    private void scheduleClose(Slot s) {
        try {
            s.device.workers.load().execute(() -> finishClose(s));
        } catch (RejectedExecutionException e) {
            finishClose(s);
        }
    }

    /**
     * Closes the sessions of an UNLOADING slot with no lease, then releases its bytes; returns them.
     * Runs once per slot: a close finished early by {@link #evict} makes the queued one a no-op.
     */
    private long finishClose(Slot s) {
        synchronized (lock) {
            if (s.closeStarted) {
                return 0;
            }
            s.closeStarted = true;
        }
        if (s.model != null) {
            s.model.close();
        }
        long freed;
        synchronized (lock) {
            freed = s.device.ledger.release(s.key);
            s.inLedger = false;
            slots.remove(s.key, s);
        }
        String device = s.device.spec.id();
        if (s.evictedFor != null) {
            publish(new PoolEvent.Evicted(s.key, device, freed, s.evictedFor));
            log.info("evicted {} from {} ({}) to make room for {}", s.key, device, bytes(freed), s.evictedFor);
        } else {
            publish(new PoolEvent.Unloaded(s.key, device, freed));
            log.info("unloaded {} from {} ({})", s.key, device, bytes(freed));
        }
        s.closed.complete(null);
        return freed;
    }

    // ---- placement on this node ----

    /**
     * The device for a new load (see {@link LocalPlacement#choose}), among CUDA devices for configs
     * that allow a GPU when the CUDA provider is present, else among the CPU devices.
     * Caller holds {@link #lock}.
     */
    private Device chooseDevice(Optional<ModelConfig> config, long predicted) {
        List<Device> eligible = List.of();
        if (runtime.cudaAvailable() && LocalPlacement.gpuAllowed(config)) {
            eligible = devices.stream()
                    .filter(d -> d.spec.kind() == DeviceKind.CUDA)
                    .toList();
        }
        if (eligible.isEmpty()) {
            eligible = devices.stream()
                    .filter(d -> d.spec.kind() == DeviceKind.CPU)
                    .toList();
        }
        if (eligible.isEmpty()) {
            eligible = devices;
        }
        long now = clock.getAsLong();
        return LocalPlacement.choose(
                eligible,
                predicted,
                d -> d.ledger.freeBytes() - pendingBytes(d),
                d -> policy.evictableBytes(candidates(d), now),
                d -> d.spec.capacityBytes());
    }

    /** Predicted bytes of loads queued on {@code d} that have not reserved yet. Caller holds {@link #lock}. */
    private long pendingBytes(Device d) {
        long sum = 0;
        for (Slot s : slots.values()) {
            if (s.device == d && s.state == State.LOADING && !s.inLedger) {
                sum = sum + s.predictedBytes < sum ? Long.MAX_VALUE : sum + s.predictedBytes; // saturating
            }
        }
        return sum;
    }

    /**
     * The plugged-in chooser's victims, if there is one and its answer is safe: only evictable
     * residents of this device, freeing enough. Caller holds {@link #lock}.
     */
    private Optional<List<EvictionPolicy.Candidate>> chosenByChooser(
            Device d, List<EvictionPolicy.Candidate> candidates, long shortfall, long now) {
        if (chooser == null) {
            return Optional.empty();
        }
        Map<ModelKey, EvictionPolicy.Candidate> evictable = new HashMap<>();
        List<VictimChooser.Candidate> offer = new ArrayList<>();
        for (EvictionPolicy.Candidate c : candidates) {
            Slot s = slots.get(c.key());
            if (policy.evictable(c, now) && s != null) {
                evictable.put(c.key(), c);
                offer.add(new VictimChooser.Candidate(
                        c.key(),
                        c.bytes(),
                        c.lastUsedNanos(),
                        c.loadedAtNanos(),
                        s.model == null ? 0 : s.model.loadNanos(),
                        s.uses));
            }
        }
        Optional<List<ModelKey>> picked;
        try {
            picked = chooser.choose(List.copyOf(offer), shortfall, now);
        } catch (RuntimeException e) {
            log.warn("victim chooser failed on {}; evicting least recently used: {}", d.spec.id(), e.toString());
            return Optional.empty();
        }
        if (picked.isEmpty()) {
            return Optional.empty();
        }
        List<EvictionPolicy.Candidate> out = new ArrayList<>();
        long freed = 0;
        for (ModelKey k : picked.get()) {
            EvictionPolicy.Candidate c = evictable.get(k);
            if (c == null || out.contains(c)) {
                return Optional.empty();
            }
            out.add(c);
            freed += c.bytes();
        }
        return freed >= shortfall ? Optional.of(out) : Optional.empty();
    }

    /** Caller holds {@link #lock}. */
    private List<EvictionPolicy.Candidate> candidates(Device d) {
        List<EvictionPolicy.Candidate> out = new ArrayList<>();
        for (Slot s : slotsOn(d)) {
            if (s.inLedger) {
                out.add(s.candidate(d.ledger.bytesOf(s.key).orElse(0)));
            }
        }
        return out;
    }

    private List<Slot> slotsOn(Device d) {
        List<Slot> out = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (s.device == d) {
                out.add(s);
            }
        }
        return out;
    }

    private void publish(PoolEvent event) {
        try {
            listener.on(event);
        } catch (RuntimeException e) {
            log.warn("pool event listener failed on {}", event, e);
        }
    }

    private static ModelLoadException shutdown(ModelKey key) {
        return ModelLoader.failure(Kind.SHUTDOWN, key, "the device pool is shutting down", null);
    }

    /** "12.0 MiB (12582912 bytes)": readable and exact. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], n);
    }
}
