package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.PoolEvent;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the sessions of UNLOADING slots on their device's load thread and gives their bytes back
 * to the ledger; publishes the unload or eviction.
 */
final class SlotCloser {
    private static final Logger log = LoggerFactory.getLogger(SlotCloser.class);

    private final PoolState state;

    SlotCloser(PoolState state) {
        this.state = state;
    }

    /** Queues the close of an UNLOADING slot with no lease on its device's load thread. */
    void schedule(Slot s) {
        try {
            s.device.workers.load().execute(() -> finish(s));
        } catch (RejectedExecutionException e) {
            finish(s);
        }
    }

    /**
     * Closes the sessions of an UNLOADING slot with no lease, then releases its bytes; returns them.
     * Runs once per slot: a close finished early by an eviction makes the queued one a no-op.
     */
    long finish(Slot s) {
        synchronized (state.lock) {
            if (s.closeStarted) {
                return 0;
            }
            s.closeStarted = true;
        }
        if (s.model != null) {
            s.model.close();
        }
        long freed;
        synchronized (state.lock) {
            freed = s.device.ledger.release(s.key);
            s.inLedger = false;
            state.slots.remove(s.key, s);
        }
        String device = s.device.spec.id();
        if (s.evictedFor != null) {
            state.publish(new PoolEvent.Evicted(s.key, device, freed, s.evictedFor));
            log.info(
                    "evicted {} from {} ({}) to make room for {}", s.key, device, PoolState.bytes(freed), s.evictedFor);
        } else {
            state.publish(new PoolEvent.Unloaded(s.key, device, freed));
            log.info("unloaded {} from {} ({})", s.key, device, PoolState.bytes(freed));
        }
        s.closed.complete(null);
        return freed;
    }
}
