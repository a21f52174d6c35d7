package dev.modelmux.placement;

import java.util.List;

/**
 * What the {@link Rebalancer} decided.
 *
 * @param actions what to do now, in order
 * @param unplaced one entry per lost copy of a pinned or {@code minCopies} model that fits nowhere
 */
public record RebalanceDecision(List<Action> actions, List<ModelKey> unplaced) {
    public RebalanceDecision {
        actions = List.copyOf(actions);
        unplaced = List.copyOf(unplaced);
    }
}
