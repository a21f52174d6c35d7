package dev.modelmux.placement.sim.internal;

import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.sim.Access;
import dev.modelmux.placement.sim.Policy;
import dev.modelmux.placement.sim.PolicyStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Offline Belady (MIN) with bypass, by bytes. See {@link Policy#belady} for what it is and is not.
 *
 * <p>Each resident is keyed by the position of its next request; a model never requested again
 * gets a unique key past the end of the trace. Keys are unique, so a {@link TreeMap} orders the
 * residents by next use in O(log n).
 */
public final class BeladyPolicy implements Policy {
    private final long capacity;
    private final List<Access> trace;
    private final long[] nextUse;
    private final TreeMap<Long, ModelKey> byNextUse = new TreeMap<>();
    private final Map<ModelKey, Long> residents = new HashMap<>();
    private final Map<ModelKey, Long> sizes = new HashMap<>();
    private final Counter counter = new Counter();
    private long used;
    private int position;

    public BeladyPolicy(long capacityBytes, List<Access> trace) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes must be >= 0, was " + capacityBytes);
        }
        this.capacity = capacityBytes;
        this.trace = trace;
        this.nextUse = new long[trace.size()];
        var seen = new HashMap<ModelKey, Integer>();
        long never = trace.size();
        for (int i = trace.size() - 1; i >= 0; i--) {
            Integer next = seen.put(trace.get(i).model(), i);
            nextUse[i] = next != null ? next : never++;
        }
    }

    @Override
    public String name() {
        return "belady";
    }

    @Override
    public boolean record(Access a) {
        if (position >= trace.size() || !trace.get(position).equals(a)) {
            throw new IllegalStateException(
                    "Belady must replay its own trace in order; request " + position + " differs: " + a);
        }
        long next = nextUse[position++];
        Long current = residents.get(a.model());
        boolean hit = current != null;
        counter.access(a, hit);
        if (hit) {
            byNextUse.remove(current);
            byNextUse.put(next, a.model());
            residents.put(a.model(), next);
        } else if (a.sizeBytes() <= capacity && makeRoom(a.sizeBytes(), next)) {
            byNextUse.put(next, a.model());
            residents.put(a.model(), next);
            sizes.put(a.model(), a.sizeBytes());
            used += a.sizeBytes();
        }
        return hit;
    }

    /** Evicts farthest-next-use residents that are needed later than {@code next}; false (and no eviction) if that is not enough. */
    private boolean makeRoom(long bytes, long next) {
        long need = used + bytes - capacity;
        if (need <= 0) {
            return true;
        }
        var victims = new ArrayList<Long>();
        long freed = 0;
        for (Map.Entry<Long, ModelKey> e : byNextUse.descendingMap().entrySet()) {
            if (e.getKey() < next) {
                return false;
            }
            victims.add(e.getKey());
            freed += sizes.get(e.getValue());
            if (freed >= need) {
                break;
            }
        }
        if (freed < need) {
            return false;
        }
        for (Long key : victims) {
            ModelKey model = byNextUse.remove(key);
            residents.remove(model);
            used -= sizes.get(model);
            counter.evicted();
        }
        return true;
    }

    @Override
    public long residentBytes() {
        return used;
    }

    @Override
    public PolicyStats stats() {
        return counter.stats(name());
    }
}
