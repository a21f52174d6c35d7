package dev.modelmux.placement;

import dev.modelmux.placement.internal.DefaultDrainer;
import java.util.Map;

/**
 * Empties draining nodes without interrupting service.
 *
 * <p>Contract, for every READY copy on a node of the view that is draining:
 * <ul>
 *   <li>If the model still has, without this copy, at least {@code max(1, minCopies, pinned ? 1 : 0)}
 *       READY copies on nodes that are not draining, the copy is {@link Action.Unload}ed
 *       (reason {@code DRAIN}): others serve it already.
 *   <li>Else, if a copy of it is LOADING on a node that is not draining, nothing is done yet: the
 *       copy goes once that one is READY.
 *   <li>Else the copy is {@link Action.Move}d (reason {@code DRAIN}) to a device chosen by the
 *       {@link DevicePicker} (never a draining node), preceded by the {@link Action.Unload}s that
 *       make room there; the executor loads the new copy, waits for it to be READY, and only then
 *       unloads the old one.
 *   <li>A copy that fits nowhere, even by evicting, stays (it keeps serving) and is listed in
 *       {@link DrainDecision#stuck()}.
 *   <li>LOADING, UNLOADING and FAILED copies on draining nodes are left alone: the first become
 *       READY (and move at a later call), the others go away by themselves.
 *   <li>At most {@code maxMoves} moves per call, busiest copies first, so a large drain proceeds
 *       in steps without a load storm.
 * </ul>
 */
public interface Drainer {

    int DEFAULT_MAX_MOVES = 8;

    static Drainer create(DevicePicker picker, int maxMoves) {
        return new DefaultDrainer(picker, maxMoves);
    }

    static Drainer defaults() {
        return create(DevicePicker.defaults(), DEFAULT_MAX_MOVES);
    }

    DrainDecision drain(ClusterView view, Map<ModelKey, ModelSpec> specs, long nowNanos);
}
