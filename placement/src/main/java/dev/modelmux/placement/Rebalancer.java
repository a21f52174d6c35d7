package dev.modelmux.placement;

import dev.modelmux.placement.internal.DefaultRebalancer;
import java.util.Map;
import java.util.Set;

/**
 * Reacts to nodes leaving and joining.
 *
 * <p>Contract:
 * <ul>
 *   <li>Leave: copies whose node (or device) is not in the view are lost. A model that is pinned
 *       or has {@code minCopies} and now has fewer LOADING or READY copies than
 *       {@code max(minCopies, pinned ? 1 : 0)} gets {@link Action.Load}s (reason
 *       {@code REPLACE_LOST}), placed by the {@link DevicePicker}, evicting if needed. Other
 *       models get nothing: they are placed again on demand. The lost copies themselves are not
 *       mentioned; dropping them from the table is the cluster's job.
 *   <li>Join: for each joined node (present, not draining), devices elsewhere filled above the
 *       high-water fraction are relieved by {@link Action.Move}s onto the joined nodes, busiest
 *       copies first (they relieve compute as well as memory), until the device is at or below
 *       the relieve-to fraction, the joined nodes are full, or the move budget is spent. A move
 *       never lands on a node that already holds a copy of the model.
 * </ul>
 */
public interface Rebalancer {

    static Rebalancer create(RebalancerConfig config, DevicePicker picker) {
        return new DefaultRebalancer(config, picker);
    }

    static Rebalancer defaults() {
        return create(RebalancerConfig.defaults(), DevicePicker.defaults());
    }

    /**
     * @param joinedNodeIds nodes that joined since the last rebalance (empty when only nodes left)
     */
    RebalanceDecision rebalance(
            ClusterView view, Map<ModelKey, ModelSpec> specs, Set<String> joinedNodeIds, long nowNanos);
}
