package dev.modelmux.placement.internal;

import dev.modelmux.placement.Action;
import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.DrainDecision;
import dev.modelmux.placement.Drainer;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.NodeView;
import dev.modelmux.placement.Plan;
import dev.modelmux.placement.Target;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/** The {@link Drainer}: unload what others serve, move the rest, busiest first. */
public final class DefaultDrainer implements Drainer {
    private final DevicePicker picker;
    private final int maxMoves;

    public DefaultDrainer(DevicePicker picker, int maxMoves) {
        if (maxMoves < 1) {
            throw new IllegalArgumentException("maxMoves must be >= 1, was " + maxMoves);
        }
        this.picker = picker;
        this.maxMoves = maxMoves;
    }

    @Override
    public DrainDecision drain(ClusterView view, Map<ModelKey, ModelSpec> specs, long nowNanos) {
        IndexedView working = IndexedView.workingCopy(view);
        List<CopyView> candidates = new ArrayList<>();
        for (NodeView n : view.nodes()) {
            if (n.draining()) {
                for (CopyView c : view.copies()) {
                    if (c.nodeId().equals(n.nodeId()) && c.state() == CopyState.READY && view.isPresent(c.target())) {
                        candidates.add(c);
                    }
                }
            }
        }
        candidates.sort(BUSIEST_FIRST);
        List<Action> actions = new ArrayList<>();
        List<CopyView> stuck = new ArrayList<>();
        int moves = 0;
        for (CopyView c : candidates) {
            ModelSpec spec = asMoved(specs.get(c.key()), c);
            int needed = Math.max(1, spec.floorCopies());
            if (readyElsewhere(working, c) >= needed) {
                actions.add(new Action.Unload(c, Action.Reason.DRAIN));
                working.remove(c);
                continue;
            }
            if (loadingElsewhere(working, c)) {
                continue;
            }
            if (moves >= maxMoves) {
                continue;
            }
            Optional<Plan> plan = picker.plan(working, spec, specs, nowNanos);
            if (plan.isEmpty()) {
                stuck.add(c);
                continue;
            }
            for (CopyView victim : plan.get().victims()) {
                actions.add(new Action.Unload(victim, Action.Reason.MAKE_ROOM));
                working.remove(victim);
            }
            Target to = plan.get().target();
            actions.add(new Action.Move(c, to, Action.Reason.DRAIN));
            working.addLoading(c.key(), to, spec.footprintBytes(), nowNanos);
            moves++;
        }
        return new DrainDecision(actions, stuck);
    }

    private static int readyElsewhere(ClusterView view, CopyView self) {
        int n = 0;
        for (CopyView o : view.copiesOf(self.key())) {
            if (o.state() == CopyState.READY && !o.target().equals(self.target()) && serving(view, o)) {
                n++;
            }
        }
        return n;
    }

    private static boolean loadingElsewhere(ClusterView view, CopyView self) {
        for (CopyView o : view.copiesOf(self.key())) {
            if (o.state() == CopyState.LOADING && serving(view, o)) {
                return true;
            }
        }
        return false;
    }

    /** A copy on a present node that is not draining. */
    private static boolean serving(ClusterView view, CopyView c) {
        return view.isPresent(c.target())
                && view.node(c.nodeId()).map(n -> !n.draining()).orElse(false);
    }

    /** The copy's measured bytes are what it needs on the other side. */
    private static ModelSpec asMoved(ModelSpec spec, CopyView c) {
        ModelSpec base = spec != null ? spec : ModelSpec.of(c.key(), c.bytes());
        return new ModelSpec(
                base.key(),
                base.predictedBytes(),
                OptionalLong.of(c.bytes()),
                base.loadNanos(),
                base.pinned(),
                base.minCopies(),
                base.idleTtlNanos());
    }

    private static final Comparator<CopyView> BUSIEST_FIRST = Comparator.comparingDouble(
                    (CopyView c) -> -c.requestRate())
            .thenComparingLong(c -> -c.bytes())
            .thenComparing(CopyView::key)
            .thenComparing(CopyView::target);
}
