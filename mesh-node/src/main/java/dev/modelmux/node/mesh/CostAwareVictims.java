package dev.modelmux.node.mesh;

import dev.modelmux.gpu.VictimChooser;
import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DeviceView;
import dev.modelmux.placement.Eviction;
import dev.modelmux.placement.Evictor;
import dev.modelmux.placement.EvictorConfig;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.NodeView;
import dev.modelmux.placement.Target;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A node's device evicts with placement's cost-aware {@link Evictor} (expected reload time per
 * byte freed: rarely used, cheap to reload, big models go first) instead of plain LRU. The pool
 * already filters out what may not be evicted (in flight, pinned, loading, too young), so the
 * evictor's own churn guard is off here.
 */
public final class CostAwareVictims implements VictimChooser {
    private static final String NODE = "local";
    private static final String DEVICE = "device";
    private static final int MAX_HISTORY = 100_000;
    private final Evictor evictor =
            Evictor.costAware(new EvictorConfig(0, EvictorConfig.DEFAULT_ASSUMED_LOAD_BYTES_PER_SECOND));
    /**
     * Uses and first load time of models evicted before: a model's frequency outlives its copy, so a
     * popular model that was evicted once is not treated as new (measured in the simulator: 0.888 →
     * 0.917 of Belady's byte hit ratio). Only touched on the device's load thread.
     */
    private final Map<ModelKey, long[]> history = Collections.synchronizedMap(new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ModelKey, long[]> eldest) {
            return size() > MAX_HISTORY;
        }
    });

    @Override
    public Optional<List<dev.modelmux.gpu.ModelKey>> choose(
            List<Candidate> evictable, long bytesNeeded, long nowNanos) {
        Map<ModelKey, dev.modelmux.gpu.ModelKey> keys = new HashMap<>();
        Map<ModelKey, ModelSpec> specs = new HashMap<>();
        List<CopyView> copies = new ArrayList<>();
        long used = 0;
        for (Candidate c : evictable) {
            ModelKey k = new ModelKey(c.key().model(), c.key().version());
            keys.put(k, c.key());
            specs.put(k, new ModelSpec(k, c.bytes(), OptionalLong.of(c.bytes()), c.loadNanos(), false, 0, 0));
            long[] h = history.get(k);
            long uses = c.uses() + (h == null ? 0 : h[0]);
            long since = h == null ? c.loadedAtNanos() : Math.min(h[1], c.loadedAtNanos());
            copies.add(new CopyView(k, NODE, DEVICE, CopyState.READY, c.bytes(), 0, since, c.lastUsedNanos(), 0, uses));
            used += c.bytes();
        }
        ClusterView view = ClusterView.of(
                List.of(new NodeView(
                        NODE,
                        false,
                        List.of(new DeviceView(
                                DEVICE, "cpu", Math.max(used, 1) + Math.max(bytesNeeded, 0), used, 0, 0)))),
                copies);
        Optional<Eviction> e = evictor.choose(view, new Target(NODE, DEVICE), bytesNeeded, specs, nowNanos);
        e.ifPresent(ev ->
                ev.victims().forEach(v -> history.put(v.key(), new long[] {v.useCount(), v.loadedAtNanos()})));
        return e.map(ev -> ev.victims().stream().map(v -> keys.get(v.key())).toList());
    }
}
