package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSnapshot.State;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.ModelLoadException.Kind;
import dev.modelmux.gpu.PoolEvent;
import dev.modelmux.repo.ModelConfigs;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A load, on its device's load thread: reserve the predicted bytes (making room first if needed),
 * let {@link ModelLoader} do the ONNX Runtime work, commit the measured footprint, then hand leases
 * to the waiters; or undo the reservation and fail them. Only this thread takes bytes from its
 * device's ledger, so what an eviction freed is still free when the reservation is retried.
 */
final class LoadPath {
    private static final Logger log = LoggerFactory.getLogger(LoadPath.class);

    private final PoolState state;
    private final ModelLoader loader;
    private final RoomMaker room;
    /** Opens a lease on a READY slot; the caller holds the pool's lock. */
    private final Function<Slot, Lease> openLease;

    LoadPath(PoolState state, ModelLoader loader, RoomMaker room, Function<Slot, Lease> openLease) {
        this.state = state;
        this.loader = loader;
        this.room = room;
        this.openLease = openLease;
    }

    void load(Slot s, LoadSpec spec) {
        long start = state.clock.getAsLong();
        OrtModel model = null;
        try {
            synchronized (state.lock) {
                if (state.closing != null) {
                    throw PoolState.shutdown(s.key);
                }
            }
            reserve(s);
            // loadNanos covers read, scan, sessions and warm-up, not the wait for room.
            model = loader.load(s.key, s.device.spec, spec, s.predictedBytes, state.clock.getAsLong());
            commit(s, model);
            loaded(s, model, spec.pinned() || ModelConfigs.pinned(model.config()));
        } catch (ModelLoadException e) {
            failed(s, model, e, start);
        } catch (RuntimeException | Error e) {
            log.error("load of {} failed unexpectedly", s.key, e);
            failed(
                    s,
                    model,
                    ModelLoader.failure(Kind.RUNTIME, s.key, "internal error: " + OrtMessages.of(e), null),
                    start);
        }
    }

    /** Fails the slot's load: releases what it holds, removes it, fails its waiters. */
    void failed(Slot s, OrtModel model, ModelLoadException e, long start) {
        if (model != null) {
            model.close();
        }
        List<CompletableFuture<Lease>> waiters;
        synchronized (state.lock) {
            if (s.inLedger) {
                s.device.ledger.release(s.key);
                s.inLedger = false;
            }
            state.slots.remove(s.key, s);
            waiters = new ArrayList<>(s.waiters);
            s.waiters.clear();
        }
        state.publish(new PoolEvent.LoadFailed(
                s.key, s.device.spec.id(), e.kind(), e.getMessage(), state.clock.getAsLong() - start));
        log.warn("load of {} on {} failed ({}): {}", s.key, s.device.spec.id(), e.kind(), e.getMessage());
        waiters.forEach(w -> w.completeExceptionally(e));
        s.loadEnded.complete(null);
        s.closed.complete(null);
    }

    private void loaded(Slot s, OrtModel model, boolean pinned) {
        List<CompletableFuture<Lease>> waiters;
        List<Lease> leases = new ArrayList<>();
        synchronized (state.lock) {
            long now = state.clock.getAsLong();
            s.model = model;
            s.state = State.READY;
            s.pinned |= pinned;
            s.loadedAtNanos = now;
            s.lastUsedNanos = now;
            waiters = new ArrayList<>(s.waiters);
            s.waiters.clear();
            for (int i = 0; i < waiters.size(); i++) {
                leases.add(openLease.apply(s));
            }
        }
        state.publish(new PoolEvent.Loaded(
                s.key, s.device.spec.id(), model.predictedBytes(), model.measuredBytes(), model.loadNanos()));
        log.info(
                "loaded {} on {}: {} instance(s), predicted {}, measured {}, {} ms",
                s.key,
                s.device.spec.id(),
                model.instances(),
                PoolState.bytes(model.predictedBytes()),
                PoolState.bytes(model.measuredBytes()),
                model.loadNanos() / 1_000_000);
        for (int i = 0; i < waiters.size(); i++) {
            if (!waiters.get(i).complete(leases.get(i))) {
                leases.get(i).close(); // the caller gave up (cancelled) meanwhile
            }
        }
        s.loadEnded.complete(null);
    }

    /** Takes the predicted bytes on the slot's device, evicting first if needed. */
    private void reserve(Slot s) {
        PoolDevice d = s.device;
        String needs = "needs " + PoolState.bytes(s.predictedBytes) + " (predicted)";
        long shortfall;
        synchronized (state.lock) {
            if (d.ledger.tryReserve(s.key, s.predictedBytes)) {
                s.inLedger = true;
                return;
            }
            shortfall = s.predictedBytes - d.ledger.freeBytes();
        }
        room.evict(d, s.key, shortfall, needs);
        synchronized (state.lock) {
            // Only this thread takes bytes from this ledger, so what eviction freed is still free.
            if (!d.ledger.tryReserve(s.key, s.predictedBytes)) {
                throw room.noCapacity(d, s.key, needs);
            }
            s.inLedger = true;
        }
    }

    /** Turns the reservation into the measured footprint, evicting more if the model came out larger. */
    private void commit(Slot s, OrtModel model) {
        PoolDevice d = s.device;
        long measured = model.measuredBytes();
        MemoryLedger.Commit c;
        synchronized (state.lock) {
            c = d.ledger.commit(s.key, measured);
        }
        if (c.committed()) {
            return;
        }
        String needs = "needs " + PoolState.bytes(measured) + " (measured after loading; predicted "
                + PoolState.bytes(s.predictedBytes) + ")";
        room.evict(d, s.key, c.shortfallBytes(), needs);
        synchronized (state.lock) {
            if (!d.ledger.commit(s.key, measured).committed()) {
                throw room.noCapacity(d, s.key, needs);
            }
        }
    }
}
