package dev.modelmux.placement;

import java.util.List;
import java.util.Map;

/**
 * What the {@link CopyScaler} decided.
 *
 * @param desired copies each considered model should have (models with no copy and no floor are
 *     left out: they are placed on demand)
 * @param actions what to do now, in order
 * @param unplaced one entry per copy that should be added but fits nowhere, even by evicting
 */
public record ScaleDecision(Map<ModelKey, Integer> desired, List<Action> actions, List<ModelKey> unplaced) {
    public ScaleDecision {
        desired = Map.copyOf(desired);
        actions = List.copyOf(actions);
        unplaced = List.copyOf(unplaced);
    }
}
