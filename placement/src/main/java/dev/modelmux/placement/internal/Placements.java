package dev.modelmux.placement.internal;

import dev.modelmux.placement.Action;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.Plan;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Turns the picker's plans into actions and applies them to a working view. */
final class Placements {
    private Placements() {}

    /**
     * Plans one new copy of {@code spec}: appends the evictions and the load to {@code out} and
     * records them in {@code working}. Returns the plan, or empty (and changes nothing) when the
     * model fits nowhere.
     */
    static Optional<Plan> placeOne(
            DevicePicker picker,
            IndexedView working,
            ModelSpec spec,
            Map<ModelKey, ModelSpec> specs,
            long nowNanos,
            Action.Reason reason,
            List<Action> out) {
        Optional<Plan> plan = picker.plan(working, spec, specs, nowNanos);
        plan.ifPresent(p -> {
            for (CopyView victim : p.victims()) {
                out.add(new Action.Unload(victim, Action.Reason.MAKE_ROOM));
                working.remove(victim);
            }
            out.add(new Action.Load(spec.key(), p.target(), reason));
            working.addLoading(spec.key(), p.target(), spec.footprintBytes(), nowNanos);
        });
        return plan;
    }
}
