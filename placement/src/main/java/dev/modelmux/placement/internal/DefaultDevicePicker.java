package dev.modelmux.placement.internal;

import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.DeviceView;
import dev.modelmux.placement.Eviction;
import dev.modelmux.placement.Evictor;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.NodeView;
import dev.modelmux.placement.PickerConfig;
import dev.modelmux.placement.Plan;
import dev.modelmux.placement.Target;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/** The {@link DevicePicker}: a linear scan of the devices, no sorting, no state. */
public final class DefaultDevicePicker implements DevicePicker {
    private final PickerConfig config;
    private final Evictor evictor;

    public DefaultDevicePicker(PickerConfig config, Evictor evictor) {
        this.config = config;
        this.evictor = evictor;
    }

    @Override
    public long requiredBytes(ModelSpec model) {
        return Sizes.withHeadroom(model.footprintBytes(), config.headroomFraction());
    }

    @Override
    public Optional<Target> pickFree(ClusterView view, ModelSpec model, Predicate<NodeView> nodes) {
        long required = requiredBytes(model);
        Holders holders = Holders.of(view, model.key());
        Option best = null;
        for (NodeView n : view.nodes()) {
            if (n.draining() || !nodes.test(n)) {
                continue;
            }
            for (DeviceView d : n.devices()) {
                Target t = new Target(n.nodeId(), d.deviceId());
                if (d.freeBytes() >= required && !holders.devices.contains(t)) {
                    Option o = new Option(t, holders.nodes.contains(n.nodeId()), d, Eviction.none());
                    if (best == null || AS_IS.compare(o, best) < 0) {
                        best = o;
                    }
                }
            }
        }
        return Optional.ofNullable(best).map(Option::target);
    }

    @Override
    public Optional<Plan> plan(ClusterView view, ModelSpec model, Map<ModelKey, ModelSpec> specs, long nowNanos) {
        long required = requiredBytes(model);
        Optional<Target> free = pickFree(view, model);
        if (free.isPresent()) {
            return free.map(t -> new Plan(t, required, Eviction.none()));
        }
        Holders holders = Holders.of(view, model.key());
        Option best = null;
        for (NodeView n : view.nodes()) {
            if (n.draining()) {
                continue;
            }
            for (DeviceView d : n.devices()) {
                Target t = new Target(n.nodeId(), d.deviceId());
                if (d.capacityBytes() < required || holders.devices.contains(t)) {
                    continue;
                }
                long toFree = Sizes.add(required, d.overCommitBytes());
                Optional<Eviction> eviction = evictor.choose(view, t, toFree, specs, nowNanos);
                if (eviction.isPresent()) {
                    Option o = new Option(t, holders.nodes.contains(n.nodeId()), d, eviction.get());
                    if (best == null || WITH_EVICTION.compare(o, best) < 0) {
                        best = o;
                    }
                }
            }
        }
        return Optional.ofNullable(best).map(o -> new Plan(o.target, required, o.eviction));
    }

    /** Where the model already is: nodes and devices with a copy that is not going away. */
    private record Holders(Set<String> nodes, Set<Target> devices) {
        static Holders of(ClusterView view, ModelKey key) {
            var nodes = new HashSet<String>();
            var devices = new HashSet<Target>();
            for (CopyView c : view.copiesOf(key)) {
                if (c.state() != CopyState.UNLOADING) {
                    devices.add(c.target());
                    if (c.state() != CopyState.FAILED) {
                        nodes.add(c.nodeId());
                    }
                }
            }
            return new Holders(nodes, devices);
        }
    }

    private record Option(Target target, boolean nodeHoldsCopy, DeviceView device, Eviction eviction) {}

    private static final Comparator<Option> AS_IS = Comparator.comparing(Option::nodeHoldsCopy)
            .thenComparingInt(o -> o.device.inFlight())
            .thenComparingLong(o -> -o.device.freeBytes())
            .thenComparing(Option::target);

    private static final Comparator<Option> WITH_EVICTION = Comparator.comparing(Option::nodeHoldsCopy)
            .thenComparingDouble(o -> o.eviction.cost())
            .thenComparingInt(o -> o.eviction.victims().size())
            .thenComparingInt(o -> o.device.inFlight())
            .thenComparing(Option::target);
}
