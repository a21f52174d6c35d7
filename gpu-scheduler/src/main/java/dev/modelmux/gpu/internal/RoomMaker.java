package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSnapshot.State;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.ModelLoadException.Kind;
import dev.modelmux.gpu.VictimChooser;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes room on a device for a load, on that device's load thread: finishes the unloads already on
 * their way out, then evicts idle residents that the plugged-in {@link VictimChooser} (when its
 * answer is safe) or the {@link EvictionPolicy} picks, all or nothing.
 */
final class RoomMaker {
    private static final Logger log = LoggerFactory.getLogger(RoomMaker.class);

    private final PoolState state;
    private final SlotCloser closer;
    private final EvictionPolicy policy;
    private final VictimChooser chooser;

    /** @param chooser null for least recently used (the policy alone) */
    RoomMaker(PoolState state, SlotCloser closer, EvictionPolicy policy, VictimChooser chooser) {
        this.state = state;
        this.closer = closer;
        this.policy = policy;
        this.chooser = chooser;
    }

    /** Bytes the policy could free on {@code d} now. Caller holds the pool's lock. */
    long evictableBytes(PoolDevice d, long now) {
        return policy.evictableBytes(state.candidates(d), now);
    }

    /**
     * Evicts idle residents of {@code d} to free {@code shortfall} bytes, all or nothing. Unloads
     * whose last lease has closed but whose close is still queued behind this task are finished
     * first, inline: their bytes are on their way out anyway.
     *
     * @throws ModelLoadException NO_CAPACITY if evicting cannot free enough
     */
    void evict(PoolDevice d, ModelKey forKey, long shortfall, String needs) {
        List<Slot> idleUnloads = new ArrayList<>();
        synchronized (state.lock) {
            for (Slot s : state.slotsOn(d)) {
                if (s.state == State.UNLOADING && s.inFlight == 0 && !s.closeStarted) {
                    idleUnloads.add(s);
                }
            }
        }
        for (Slot s : idleUnloads) {
            shortfall -= closer.finish(s);
        }
        if (shortfall <= 0) {
            return;
        }
        List<Slot> victims = new ArrayList<>();
        synchronized (state.lock) {
            List<EvictionPolicy.Candidate> candidates = state.candidates(d);
            long now = state.clock.getAsLong();
            long needed = shortfall;
            List<EvictionPolicy.Candidate> chosen = chosenByChooser(d, candidates, needed, now)
                    .or(() -> policy.select(candidates, needed, now))
                    .orElseThrow(() -> noCapacity(d, forKey, needs));
            for (EvictionPolicy.Candidate c : chosen) {
                Slot v = state.slots.get(c.key());
                v.state = State.UNLOADING; // no lease can open from here on; inFlight is 0
                v.evictedFor = forKey;
                victims.add(v);
            }
        }
        for (Slot v : victims) {
            closer.finish(v); // we are on d's load thread, where sessions close
        }
    }

    ModelLoadException noCapacity(PoolDevice d, ModelKey key, String needs) {
        MemoryLedger.Snapshot l = d.ledger.snapshot();
        return ModelLoader.failure(
                Kind.NO_CAPACITY,
                key,
                needs + " but device " + d.spec.id() + " has "
                        + PoolState.bytes(l.freeBytes()) + " free of " + PoolState.bytes(l.capacityBytes())
                        + ", and evicting idle, unpinned models cannot free enough",
                null);
    }

    /**
     * The plugged-in chooser's victims, if there is one and its answer is safe: only evictable
     * residents of this device, freeing enough. Caller holds the pool's lock.
     */
    private Optional<List<EvictionPolicy.Candidate>> chosenByChooser(
            PoolDevice d, List<EvictionPolicy.Candidate> candidates, long shortfall, long now) {
        if (chooser == null) {
            return Optional.empty();
        }
        Map<ModelKey, EvictionPolicy.Candidate> evictable = new HashMap<>();
        List<VictimChooser.Candidate> offer = new ArrayList<>();
        for (EvictionPolicy.Candidate c : candidates) {
            Slot s = state.slots.get(c.key());
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
}
