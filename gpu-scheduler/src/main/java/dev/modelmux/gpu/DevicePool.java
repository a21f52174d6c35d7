package dev.modelmux.gpu;

import dev.modelmux.gpu.internal.OrtDevicePool;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The devices of one node and the model versions resident on them.
 *
 * <p>Contracts:
 * <ul>
 *   <li>Loading, inference and closing run on per-device executors, never on the caller's thread;
 *       a future that waits for such work completes on a pool thread (callers hop back to their
 *       context). What can be answered at once (a lease on a READY model, a refusal after
 *       {@link #close}, an unload of a model that is not resident) comes back already completed.</li>
 *   <li>Concurrent {@link #acquire} calls for a model that is not resident share one load.</li>
 *   <li>A load first reserves its predicted footprint on a device; if no device has room, idle
 *       (no lease open), unpinned, not-just-loaded residents are evicted least recently used first;
 *       if that cannot make room the load fails with {@link ModelLoadException.Kind#NO_CAPACITY}.
 *       After the load the reservation becomes the measured footprint. No device's used plus
 *       reserved bytes ever exceeds its capacity.</li>
 *   <li>The gate: a load succeeds only after the artifact passes the pre-scan, the session(s)
 *       ({@code instance_group.count}) are created, the runtime's inputs and outputs match the
 *       config, and warm-up runs succeed. Any failure releases everything it took.</li>
 * </ul>
 */
public interface DevicePool extends AutoCloseable {

    /** Creates the pool; ONNX Runtime's environment is initialised once per process with global thread pools. */
    static DevicePool create(PoolConfig config, LongSupplier nanoClock, PoolEvent.Listener listener) {
        return OrtDevicePool.create(config, nanoClock, listener);
    }

    /** As {@link #create(PoolConfig, LongSupplier, PoolEvent.Listener)}, evicting with {@code chooser}. */
    static DevicePool create(
            PoolConfig config, LongSupplier nanoClock, PoolEvent.Listener listener, VictimChooser chooser) {
        return OrtDevicePool.create(config, nanoClock, listener, chooser);
    }

    List<DeviceSpec> devices();

    List<DeviceSnapshot> snapshot();

    /**
     * Returns a lease on a ready copy of {@code key}, loading it from {@code spec} if it is not
     * resident. Fails with {@link ModelLoadException} if the load fails.
     */
    CompletableFuture<Lease> acquire(ModelKey key, LoadSpec spec);

    /** A lease on {@code key} if it is resident and ready now, without loading. */
    Optional<Lease> tryAcquire(ModelKey key);

    /** The resident copy, if loaded and ready (for metadata; takes no lease). */
    Optional<LoadedModel> resident(ModelKey key);

    /**
     * Unloads {@code key}: it stops taking new leases at once, and its sessions close when the
     * last open lease closes. Completes when closed (immediately if it was not resident).
     */
    CompletableFuture<Void> unload(ModelKey key);

    /** Sets where every execution is reported (before traffic starts). */
    void executions(Executions listener);

    /** Marks or clears a resident's pin (a pinned model is never evicted). */
    void pin(ModelKey key, boolean pinned);

    /** {@link #close(Duration)} with {@link #DEFAULT_CLOSE_TIMEOUT}. */
    @Override
    default void close() {
        close(DEFAULT_CLOSE_TIMEOUT);
    }

    /** How long {@link #close()} waits for running inferences before it gives up on their sessions. */
    Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Refuses new work at once, unloads every model as its open leases close, then stops the device
     * threads, waiting at most {@code timeout} in all. A session is never closed while a run, batch
     * or warm-up uses it: if a lease is still open when the time is up, its sessions are left open
     * (they close when that lease does) and this returns {@code false}. Must not be called from a
     * pool thread.
     *
     * @return whether every session was closed and every device thread stopped in time: only then is
     *     it safe to release ONNX Runtime's environment (as its JVM shutdown hook does)
     */
    boolean close(Duration timeout);
}
