package dev.modelmux.placement.sim.internal;

import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DeviceView;
import dev.modelmux.placement.Eviction;
import dev.modelmux.placement.Evictor;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.NodeView;
import dev.modelmux.placement.Target;
import dev.modelmux.placement.sim.Access;
import dev.modelmux.placement.sim.Policy;
import dev.modelmux.placement.sim.PolicyStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The mesh's own eviction, on one device: on a miss that does not fit, the residents are turned
 * into a one-node {@link ClusterView} and the {@link Evictor} picks the victims, exactly as the
 * cluster would. Each resident tracks load time, last use and use count; a model's count and first
 * sight outlive its copy (an evicted model that comes back keeps its frequency), which is what a
 * node's evictor does too. Carrying the count took the byte-weighted hit ratio at 10% memory from
 * 0.888 to 0.917 of Belady's.
 */
public final class CostAwarePolicy implements Policy {
    private static final Target DEVICE = new Target("sim", "dev0");

    private final long capacity;
    private final Evictor evictor;
    private final Map<ModelKey, ModelSpec> models;
    private final Map<ModelKey, Resident> residents = new HashMap<>();
    /** Uses and first sight of models evicted before: a model's frequency outlives its copies. */
    private final Map<ModelKey, long[]> history = new HashMap<>();

    private final Counter counter = new Counter();
    private long used;

    public CostAwarePolicy(long capacityBytes, Evictor evictor, Map<ModelKey, ModelSpec> models) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes must be >= 0, was " + capacityBytes);
        }
        this.capacity = capacityBytes;
        this.evictor = evictor;
        this.models = models;
    }

    @Override
    public String name() {
        return "cost-aware";
    }

    @Override
    public boolean record(Access a) {
        Resident r = residents.get(a.model());
        boolean hit = r != null;
        counter.access(a, hit);
        if (hit) {
            r.lastUsedNanos = a.nowNanos();
            r.useCount++;
        } else if (a.sizeBytes() <= capacity && makeRoom(a)) {
            long[] h = history.getOrDefault(a.model(), new long[] {0, a.nowNanos()});
            Resident fresh = new Resident(a.sizeBytes(), h[1]);
            fresh.lastUsedNanos = a.nowNanos();
            fresh.useCount = h[0] + 1;
            residents.put(a.model(), fresh);
            used += a.sizeBytes();
        }
        return hit;
    }

    private boolean makeRoom(Access a) {
        long need = used + a.sizeBytes() - capacity;
        if (need <= 0) {
            return true;
        }
        Optional<Eviction> eviction = evictor.choose(view(), DEVICE, need, models, a.nowNanos());
        if (eviction.isEmpty()) {
            return false;
        }
        for (CopyView victim : eviction.get().victims()) {
            Resident gone = residents.remove(victim.key());
            history.put(victim.key(), new long[] {gone.useCount, gone.loadedAtNanos});
            used -= gone.bytes;
            counter.evicted();
        }
        return true;
    }

    private ClusterView view() {
        List<CopyView> copies = new ArrayList<>(residents.size());
        for (var e : residents.entrySet()) {
            Resident r = e.getValue();
            copies.add(new CopyView(
                    e.getKey(),
                    DEVICE.nodeId(),
                    DEVICE.deviceId(),
                    CopyState.READY,
                    r.bytes,
                    0,
                    r.loadedAtNanos,
                    r.lastUsedNanos,
                    0,
                    r.useCount));
        }
        NodeView node = NodeView.of(DEVICE.nodeId(), DeviceView.of(DEVICE.deviceId(), "CPU", capacity, used));
        return ClusterView.of(List.of(node), copies);
    }

    @Override
    public long residentBytes() {
        return used;
    }

    @Override
    public PolicyStats stats() {
        return counter.stats(name());
    }

    private static final class Resident {
        final long bytes;
        final long loadedAtNanos;
        long lastUsedNanos;
        long useCount = 1;

        Resident(long bytes, long nowNanos) {
            this.bytes = bytes;
            this.loadedAtNanos = nowNanos;
            this.lastUsedNanos = nowNanos;
        }
    }
}
