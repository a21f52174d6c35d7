package dev.modelmux.placement.internal;

import dev.modelmux.placement.Action;
import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.DeviceView;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.NodeView;
import dev.modelmux.placement.RebalanceDecision;
import dev.modelmux.placement.Rebalancer;
import dev.modelmux.placement.RebalancerConfig;
import dev.modelmux.placement.Target;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/** The {@link Rebalancer}: re-place lost floors, then relieve over-full devices onto joiners. */
public final class DefaultRebalancer implements Rebalancer {
    private final RebalancerConfig config;
    private final DevicePicker picker;

    public DefaultRebalancer(RebalancerConfig config, DevicePicker picker) {
        this.config = config;
        this.picker = picker;
    }

    @Override
    public RebalanceDecision rebalance(
            ClusterView view, Map<ModelKey, ModelSpec> specs, Set<String> joinedNodeIds, long nowNanos) {
        IndexedView working = IndexedView.workingCopy(view);
        var actions = new ArrayList<Action>();
        var unplaced = new ArrayList<ModelKey>();
        var affected = new TreeSet<ModelKey>();
        for (CopyView c : view.lostCopies()) {
            working.remove(c);
            affected.add(c.key());
        }
        for (ModelKey key : affected) {
            ModelSpec spec = specs.get(key);
            if (spec == null || spec.floorCopies() == 0) {
                continue;
            }
            int active = activeCopies(working, key);
            for (int have = active; have < spec.floorCopies(); have++) {
                if (Placements.placeOne(picker, working, spec, specs, nowNanos, Action.Reason.REPLACE_LOST, actions)
                        .isEmpty()) {
                    for (int i = have; i < spec.floorCopies(); i++) {
                        unplaced.add(key);
                    }
                    break;
                }
            }
        }
        var joined = new TreeSet<String>();
        for (String id : joinedNodeIds) {
            working.node(id).filter(n -> !n.draining()).ifPresent(n -> joined.add(id));
        }
        if (!joined.isEmpty()) {
            relieve(working, specs, joined, nowNanos, actions);
        }
        return new RebalanceDecision(actions, unplaced);
    }

    private void relieve(
            IndexedView working,
            Map<ModelKey, ModelSpec> specs,
            Set<String> joined,
            long nowNanos,
            List<Action> actions) {
        int moves = 0;
        for (Target device : overFull(working, joined)) {
            var candidates = new ArrayList<CopyView>();
            for (CopyView c : working.copiesOn(device)) {
                if (c.state() == CopyState.READY) {
                    candidates.add(c);
                }
            }
            candidates.sort(BUSIEST_FIRST);
            for (CopyView c : candidates) {
                if (moves >= config.maxMovesPerJoin()) {
                    return;
                }
                if (working.device(device).orElseThrow().fillFraction() <= config.relieveToFraction()) {
                    break;
                }
                ModelSpec spec = asMoved(specs.get(c.key()), c);
                Set<String> holders = holderNodes(working, c.key());
                Optional<Target> to = picker.pickFree(
                        working, spec, n -> joined.contains(n.nodeId()) && !holders.contains(n.nodeId()));
                if (to.isPresent()) {
                    actions.add(new Action.Move(c, to.get(), Action.Reason.RELIEVE));
                    working.addLoading(c.key(), to.get(), c.bytes(), nowNanos);
                    working.remove(c);
                    moves++;
                }
            }
        }
    }

    /** Devices not on a joined node filled above high water, fullest first. */
    private List<Target> overFull(IndexedView working, Set<String> joined) {
        var list = new ArrayList<Target>();
        for (NodeView n : working.nodes()) {
            if (joined.contains(n.nodeId())) {
                continue;
            }
            for (DeviceView d : n.devices()) {
                if (d.fillFraction() > config.highWaterFraction()) {
                    list.add(new Target(n.nodeId(), d.deviceId()));
                }
            }
        }
        list.sort(Comparator.comparingDouble(
                        (Target t) -> -working.device(t).orElseThrow().fillFraction())
                .thenComparing(t -> t));
        return list;
    }

    /** The copy's measured bytes are what the move needs on the other side. */
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

    private static int activeCopies(ClusterView view, ModelKey key) {
        int n = 0;
        for (CopyView c : view.copiesOf(key)) {
            if (c.state().isActive() && view.isPresent(c.target())) {
                n++;
            }
        }
        return n;
    }

    private static Set<String> holderNodes(ClusterView view, ModelKey key) {
        var nodes = new TreeSet<String>();
        for (CopyView c : view.copiesOf(key)) {
            if (c.state().isActive()) {
                nodes.add(c.nodeId());
            }
        }
        return nodes;
    }

    private static final Comparator<CopyView> BUSIEST_FIRST = Comparator.comparingDouble(
                    (CopyView c) -> -c.requestRate())
            .thenComparingLong(c -> -c.bytes())
            .thenComparing(CopyView::key);
}
