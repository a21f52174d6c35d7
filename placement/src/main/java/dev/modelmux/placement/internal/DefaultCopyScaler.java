package dev.modelmux.placement.internal;

import dev.modelmux.placement.Action;
import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyScaler;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.ScaleDecision;
import dev.modelmux.placement.ScalerConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The {@link CopyScaler}: per model a target count, then removals, then placements. */
public final class DefaultCopyScaler implements CopyScaler {
    private final ScalerConfig config;
    private final DevicePicker picker;

    public DefaultCopyScaler(ScalerConfig config, DevicePicker picker) {
        this.config = config;
        this.picker = picker;
    }

    @Override
    public ScaleDecision scale(ClusterView view, Map<ModelKey, ModelSpec> specs, long nowNanos) {
        IndexedView working = IndexedView.workingCopy(view);
        var desired = new TreeMap<ModelKey, Integer>();
        var actions = new ArrayList<Action>();
        var additions = new ArrayList<Addition>();
        for (ModelSpec spec : new TreeMap<>(specs).values()) {
            Usage u = Usage.of(view, spec.key());
            if (u.active == 0 && spec.floorCopies() == 0) {
                continue;
            }
            if (idlePastTtl(spec, u, nowNanos)) {
                desired.put(spec.key(), 0);
                for (CopyView c : u.ready) {
                    actions.add(new Action.Unload(c, Action.Reason.IDLE_TTL));
                    working.markUnloading(c);
                }
                continue;
            }
            int target = targetCount(spec, u);
            desired.put(spec.key(), target);
            if (target < u.active) {
                for (CopyView c : removable(u, target, nowNanos)) {
                    actions.add(new Action.Unload(c, Action.Reason.SCALE_DOWN));
                    working.markUnloading(c);
                }
            } else if (target > u.active) {
                additions.add(new Addition(spec, u.active, target, u.rate / Math.max(1, u.ready.size())));
            }
        }
        additions.sort(Addition.ORDER);
        var unplaced = new ArrayList<ModelKey>();
        for (Addition a : additions) {
            for (int have = a.active; have < a.target; have++) {
                Action.Reason reason = have < a.spec.floorCopies() ? Action.Reason.BELOW_FLOOR : Action.Reason.SCALE_UP;
                if (Placements.placeOne(picker, working, a.spec, specs, nowNanos, reason, actions)
                        .isEmpty()) {
                    for (int i = have; i < a.target; i++) {
                        unplaced.add(a.spec.key());
                    }
                    break;
                }
            }
        }
        return new ScaleDecision(desired, actions, unplaced);
    }

    private int targetCount(ModelSpec spec, Usage u) {
        int up = copiesFor(u.rate, config.perCopyRate());
        int down = copiesFor(u.rate, config.perCopyRate() * config.scaleDownUtilization());
        int target = u.active < up ? up : Math.min(u.active, down);
        target = Math.max(target, Math.max(spec.floorCopies(), u.active > 0 ? 1 : 0));
        return Math.min(target, Math.max(config.maxCopies(), spec.floorCopies()));
    }

    private static int copiesFor(double rate, double perCopy) {
        double n = Math.ceil(rate / perCopy);
        return n >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    }

    private static boolean idlePastTtl(ModelSpec spec, Usage u, long nowNanos) {
        return spec.idleTtlNanos() > 0
                && !spec.pinned()
                && spec.minCopies() == 0
                && u.active > 0
                && u.loading == 0
                && u.inFlight == 0
                && nowNanos - u.lastUsedNanos >= spec.idleTtlNanos();
    }

    /** Which copies a scale-down removes: see the contract on {@link CopyScaler}. */
    private List<CopyView> removable(Usage u, int target, long nowNanos) {
        int max = Math.min(u.active - target, u.ready.size() - Math.min(u.ready.size(), target));
        var perNode = new HashMap<String, Integer>();
        for (CopyView c : u.ready) {
            perNode.merge(c.nodeId(), 1, Integer::sum);
        }
        var eligible = new ArrayList<CopyView>();
        for (CopyView c : u.ready) {
            if (c.inFlight() == 0 && nowNanos - c.loadedAtNanos() >= config.scaleDownDelayNanos()) {
                eligible.add(c);
            }
        }
        eligible.sort(Comparator.comparing((CopyView c) -> perNode.get(c.nodeId()) < 2)
                .thenComparingDouble(CopyView::requestRate)
                .thenComparingLong(CopyView::lastUsedNanos)
                .thenComparing(CopyView::target));
        return eligible.subList(0, Math.min(max, eligible.size()));
    }

    /** A model's present copies, summed up. */
    private record Usage(int active, int loading, List<CopyView> ready, double rate, int inFlight, long lastUsedNanos) {
        static Usage of(ClusterView view, ModelKey key) {
            int active = 0;
            int loading = 0;
            int inFlight = 0;
            double rate = 0;
            long lastUsed = Long.MIN_VALUE;
            var ready = new ArrayList<CopyView>();
            for (CopyView c : view.copiesOf(key)) {
                if (!view.isPresent(c.target()) || !c.state().isActive()) {
                    continue;
                }
                active++;
                inFlight += c.inFlight();
                rate += c.requestRate();
                lastUsed = Math.max(lastUsed, c.lastUsedNanos());
                if (c.state() == CopyState.LOADING) {
                    loading++;
                } else {
                    ready.add(c);
                }
            }
            return new Usage(active, loading, ready, rate, inFlight, lastUsed);
        }
    }

    private record Addition(ModelSpec spec, int active, int target, double ratePerReadyCopy) {
        static final Comparator<Addition> ORDER = Comparator.comparing((Addition a) -> a.active >= a.spec.floorCopies())
                .thenComparingDouble(a -> -a.ratePerReadyCopy)
                .thenComparing(a -> a.spec.key());
    }
}
