package dev.modelmux.placement.sim.internal;

import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.sim.Access;
import dev.modelmux.placement.sim.Policy;
import dev.modelmux.placement.sim.PolicyStats;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/** Plain LRU by bytes: evicts the least recently used until the new model fits. */
public final class LruPolicy implements Policy {
    private final long capacity;
    private final LinkedHashMap<ModelKey, Long> residents = new LinkedHashMap<>(256, 0.75f, true);
    private final Counter counter = new Counter();
    private long used;

    public LruPolicy(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes must be >= 0, was " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    @Override
    public String name() {
        return "lru";
    }

    @Override
    public boolean record(Access a) {
        boolean hit = residents.get(a.model()) != null;
        counter.access(a, hit);
        if (!hit && a.sizeBytes() <= capacity) {
            Iterator<Map.Entry<ModelKey, Long>> eldest = residents.entrySet().iterator();
            while (used + a.sizeBytes() > capacity) {
                used -= eldest.next().getValue();
                eldest.remove();
                counter.evicted();
            }
            residents.put(a.model(), a.sizeBytes());
            used += a.sizeBytes();
        }
        return hit;
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
