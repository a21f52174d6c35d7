package dev.modelmux.placement.internal;

import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.Eviction;
import dev.modelmux.placement.Evictor;
import dev.modelmux.placement.EvictorConfig;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.Target;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Cost-aware eviction in the GreedyDual-Size-Frequency family.
 *
 * <p>Each candidate gets a priority, the expected reload time it would cost per byte it frees:
 * <pre>
 *   priority = rate × loadSeconds / bytes
 *   rate     = max(requestRate, min(useCount / residency, 1 / idle))
 * </pre>
 * and the lowest priorities are evicted first. This is GDSF's {@code frequency × cost / size}
 * with the frequency made a rate so that it can be compared across copies loaded at different
 * times. GDSF ages entries with an inflating clock kept between evictions; a decision over a
 * snapshot keeps no state, so recency does the aging instead: a copy idle for {@code t} is
 * credited with at most {@code 1/t} requests per second however busy it once was, which is what
 * keeps once-hot, now-cold copies from squatting (LFU's failure), while among recently used
 * copies the long-run use count decides (LRU's failure is evicting a steady model because of one
 * burst of one-off ones). The recent-window {@code requestRate} is taken when it is higher, as it
 * is the better estimate for a copy that is busy right now. Unknown load times are estimated from
 * size, so "unknown" never reads as "free to reload".
 *
 * <p>Candidates are ranked by tier first (FAILED copies, then extra copies of models with other
 * READY copies, then last copies), then priority, then larger first, then ids; taken greedily
 * until enough bytes are freed; then any victim not needed to reach the target is dropped, most
 * valuable first, so one load does not empty the device.
 */
public final class CostAwareEvictor implements Evictor {
  private static final double NANOS_PER_SECOND = 1e9;

  private final EvictorConfig config;

  public CostAwareEvictor(EvictorConfig config) {
    this.config = config;
  }

  @Override
  public Optional<Eviction> choose(
      ClusterView view, Target device, long bytesToFree, Map<ModelKey, ModelSpec> specs, long nowNanos) {
    if (bytesToFree <= 0) {
      return Optional.of(Eviction.none());
    }
    if (!view.isPresent(device)) {
      return Optional.empty();
    }
    var candidates = new ArrayList<Candidate>();
    long available = 0;
    for (CopyView c : view.copiesOn(device)) {
      Candidate cand = candidate(view, c, specs.get(c.key()), nowNanos);
      if (cand != null) {
        candidates.add(cand);
        available = Sizes.add(available, c.bytes());
      }
    }
    if (available < bytesToFree) {
      return Optional.empty();
    }
    candidates.sort(ORDER);
    var chosen = new ArrayList<Candidate>();
    long freed = 0;
    for (Candidate cand : candidates) {
      chosen.add(cand);
      freed = Sizes.add(freed, cand.copy.bytes());
      if (freed >= bytesToFree) {
        break;
      }
    }
    for (int i = chosen.size() - 1; i >= 0; i--) {
      long without = freed - chosen.get(i).copy.bytes();
      if (without >= bytesToFree) {
        chosen.remove(i);
        freed = without;
      }
    }
    var victims = new ArrayList<CopyView>(chosen.size());
    double cost = 0;
    for (Candidate cand : chosen) {
      victims.add(cand.copy);
      cost += cand.priority * cand.copy.bytes();
    }
    return Optional.of(new Eviction(victims, freed, cost));
  }

  /** The candidate for {@code c}, or null when the contract forbids evicting it. */
  private Candidate candidate(ClusterView view, CopyView c, ModelSpec spec, long nowNanos) {
    if (c.bytes() == 0 || c.inFlight() > 0) {
      return null;
    }
    if (c.state() == CopyState.FAILED) {
      return new Candidate(c, 0, 0);
    }
    if (c.state() != CopyState.READY || (spec != null && spec.pinned())) {
      return null;
    }
    if (nowNanos - c.loadedAtNanos() < config.minResidencyNanos()) {
      return null;
    }
    int ready = view.readyCount(c.key());
    if (spec != null && ready - 1 < spec.minCopies()) {
      return null;
    }
    return new Candidate(c, ready > 1 ? 1 : 2, priority(c, spec, nowNanos));
  }

  /** Expected reload seconds per second per byte freed; see the class comment. */
  public double priority(CopyView c, ModelSpec spec, long nowNanos) {
    double residency = (Math.max(0, nowNanos - c.loadedAtNanos()) + 1) / NANOS_PER_SECOND;
    double idle = (Math.max(0, nowNanos - c.lastUsedNanos()) + 1) / NANOS_PER_SECOND;
    double rate = Math.max(c.requestRate(), Math.min(c.useCount() / residency, 1 / idle));
    return rate * loadSeconds(c, spec) / Math.max(1, c.bytes());
  }

  private double loadSeconds(CopyView c, ModelSpec spec) {
    if (spec != null && spec.loadNanos() > 0) {
      return spec.loadNanos() / NANOS_PER_SECOND;
    }
    return (double) c.bytes() / config.assumedLoadBytesPerSecond();
  }

  private record Candidate(CopyView copy, int tier, double priority) {}

  private static final Comparator<Candidate> ORDER = Comparator
      .comparingInt(Candidate::tier)
      .thenComparingDouble(Candidate::priority)
      .thenComparing(c -> -c.copy.bytes())
      .thenComparing(c -> c.copy.key())
      .thenComparing(c -> c.copy.target());
}
