package dev.modelmux.node.internal;

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
import java.util.HashMap;
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
  private final Evictor evictor = Evictor.costAware(new EvictorConfig(0, EvictorConfig.DEFAULT_ASSUMED_LOAD_BYTES_PER_SECOND));

  @Override
  public Optional<List<dev.modelmux.gpu.ModelKey>> choose(List<Candidate> evictable, long bytesNeeded, long nowNanos) {
    Map<ModelKey, dev.modelmux.gpu.ModelKey> keys = new HashMap<>();
    Map<ModelKey, ModelSpec> specs = new HashMap<>();
    List<CopyView> copies = new ArrayList<>();
    long used = 0;
    for (Candidate c : evictable) {
      ModelKey k = new ModelKey(c.key().model(), c.key().version());
      keys.put(k, c.key());
      specs.put(k, new ModelSpec(k, c.bytes(), OptionalLong.of(c.bytes()), c.loadNanos(), false, 0, 0));
      copies.add(new CopyView(k, NODE, DEVICE, CopyState.READY, c.bytes(), 0, c.loadedAtNanos(), c.lastUsedNanos(), 0, c.uses()));
      used += c.bytes();
    }
    ClusterView view = ClusterView.of(List.of(new NodeView(NODE, false,
        List.of(new DeviceView(DEVICE, "cpu", Math.max(used, 1) + Math.max(bytesNeeded, 0), used, 0, 0)))), copies);
    Optional<Eviction> e = evictor.choose(view, new Target(NODE, DEVICE), bytesNeeded, specs, nowNanos);
    return e.map(ev -> ev.victims().stream().map(v -> keys.get(v.key())).toList());
  }
}
