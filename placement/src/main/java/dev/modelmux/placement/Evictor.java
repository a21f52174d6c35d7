package dev.modelmux.placement;

import dev.modelmux.placement.internal.CostAwareEvictor;
import java.util.Map;
import java.util.Optional;

/**
 * Chooses which copies on one device to evict to free a number of bytes.
 *
 * <p>Contract, for every implementation:
 * <ul>
 *   <li>Only READY copies (and FAILED ones that still hold bytes) are candidates; never a copy
 *       that is LOADING or UNLOADING, has requests in flight, belongs to a pinned model, was
 *       loaded less than the churn guard ago, or whose eviction would leave its model with fewer
 *       READY copies than its {@code minCopies}.
 *   <li>All-or-nothing: either the victims free at least {@code bytesToFree}, or the answer is
 *       empty and nothing should be evicted.
 *   <li>No victim is superfluous: dropping any one of them would free too little.
 *   <li>An extra copy of a model that has other READY copies goes before the last copy of a model.
 *   <li>Deterministic: the same view, catalog and time give the same victims in the same order.
 * </ul>
 * A copy whose model is missing from {@code specs} is treated as unpinned, with no minimum and an
 * unknown load time.
 */
public interface Evictor {

    static Evictor costAware(EvictorConfig config) {
        return new CostAwareEvictor(config);
    }

    static Evictor defaults() {
        return costAware(EvictorConfig.defaults());
    }

    /**
     * Victims on {@code device} that together free at least {@code bytesToFree}; an empty eviction
     * when {@code bytesToFree <= 0}; empty when the eligible copies cannot free enough.
     */
    Optional<Eviction> choose(
            ClusterView view, Target device, long bytesToFree, Map<ModelKey, ModelSpec> specs, long nowNanos);
}
