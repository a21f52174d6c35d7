package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSnapshot.State;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One model version's place on a device, from the start of its load until its sessions close.
 * Mutable fields are guarded by the pool's lock; the futures are completed outside it.
 *
 * <p>Lifecycle: LOADING (reservation taken on the load thread, {@code waiters} collect callers)
 * → READY (leases open and close; {@code inFlight} counts them) → UNLOADING (no new leases;
 * sessions close on the load thread once {@code inFlight} is 0, then the ledger is released and
 * {@code closed} completes). A failed load leaves LOADING by removal.
 */
final class Slot {
    final ModelKey key;
    final PoolDevice device;
    final long predictedBytes;
    /** Completes when the load has ended, successfully or not. */
    final CompletableFuture<Void> loadEnded = new CompletableFuture<>();
    /** Completes when the sessions are closed and the bytes released. */
    final CompletableFuture<Void> closed = new CompletableFuture<>();

    State state = State.LOADING;
    boolean pinned;
    /** Whether the ledger holds a reservation or commitment for this slot yet. */
    boolean inLedger;

    int inFlight;
    long lastUsedNanos;
    long loadedAtNanos;
    /** Leases opened on this copy so far (a frequency for cost-aware eviction). */
    long uses;

    OrtModel model;
    /** Set when its close has begun, so that it runs once. */
    boolean closeStarted;
    /** The model this one was evicted to make room for, when eviction is why it is UNLOADING. */
    ModelKey evictedFor;

    final List<CompletableFuture<Lease>> waiters = new ArrayList<>();

    Slot(ModelKey key, PoolDevice device, long predictedBytes, boolean pinned) {
        this.key = key;
        this.device = device;
        this.predictedBytes = predictedBytes;
        this.pinned = pinned;
    }

    EvictionPolicy.Candidate candidate(long bytes) {
        return new EvictionPolicy.Candidate(key, state, bytes, pinned, inFlight, lastUsedNanos, loadedAtNanos);
    }
}
