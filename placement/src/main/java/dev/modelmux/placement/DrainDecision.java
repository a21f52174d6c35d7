package dev.modelmux.placement;

import java.util.List;

/**
 * What the {@link Drainer} decided.
 *
 * @param actions what to do now, in order
 * @param stuck copies on draining nodes that fit nowhere else; they stay and keep serving
 */
public record DrainDecision(List<Action> actions, List<CopyView> stuck) {
    public DrainDecision {
        actions = List.copyOf(actions);
        stuck = List.copyOf(stuck);
    }
}
