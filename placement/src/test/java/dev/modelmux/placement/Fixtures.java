package dev.modelmux.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Builders shared by the placement tests: views whose device memory matches their copies. */
final class Fixtures {
    static final long MIB = 1L << 20;
    static final long GIB = 1L << 30;
    static final long SECOND = 1_000_000_000L;

    private Fixtures() {}

    static ModelKey key(String name) {
        return ModelKey.of(name, 1);
    }

    /** A READY copy loaded at 0, never used since. */
    static CopyView copy(String model, String node, String device, long bytes) {
        return new CopyView(key(model), node, device, CopyState.READY, bytes, 0, 0, 0, 0, 0);
    }

    static CopyView loadedAt(CopyView c, long nanos) {
        return new CopyView(
                c.key(),
                c.nodeId(),
                c.deviceId(),
                c.state(),
                c.bytes(),
                c.inFlight(),
                nanos,
                Math.max(nanos, c.lastUsedNanos()),
                c.requestRate(),
                c.useCount());
    }

    static CopyView used(CopyView c, long lastUsedNanos, long count) {
        return c.withUse(lastUsedNanos, count, c.requestRate());
    }

    static CopyView rate(CopyView c, double perSecond) {
        return c.withUse(c.lastUsedNanos(), c.useCount(), perSecond);
    }

    static Map<ModelKey, ModelSpec> specs(ModelSpec... all) {
        var map = new HashMap<ModelKey, ModelSpec>();
        for (ModelSpec s : all) {
            map.put(s.key(), s);
        }
        return map;
    }

    static ModelSpec spec(String model, long bytes) {
        return ModelSpec.of(key(model), bytes);
    }

    /**
     * Builds views whose devices' used bytes are the sum of their READY, UNLOADING and FAILED copies
     * (plus any extra), and reserved bytes the sum of their LOADING copies.
     */
    static final class ViewBuilder {
        private final Map<String, List<DeviceView>> nodes = new LinkedHashMap<>();
        private final Set<String> draining = new HashSet<>();
        private final Map<Target, Long> extra = new HashMap<>();
        private final List<CopyView> copies = new ArrayList<>();

        /** A node with CUDA devices g0, g1, ... of the given capacities. */
        ViewBuilder node(String id, long... capacities) {
            for (int i = 0; i < capacities.length; i++) {
                device(id, "g" + i, capacities[i], 0);
            }
            nodes.computeIfAbsent(id, k -> new ArrayList<>());
            return this;
        }

        ViewBuilder device(String node, String device, long capacity, int inFlight) {
            nodes.computeIfAbsent(node, k -> new ArrayList<>())
                    .add(new DeviceView(device, "CUDA", capacity, 0, 0, inFlight));
            return this;
        }

        ViewBuilder draining(String node) {
            draining.add(node);
            return this;
        }

        /** Memory held on a device by something other than copies (e.g. another tenant of the GPU). */
        ViewBuilder extraUsed(String node, String device, long bytes) {
            extra.merge(Target.of(node, device), bytes, Long::sum);
            return this;
        }

        ViewBuilder copies(CopyView... cs) {
            copies.addAll(List.of(cs));
            return this;
        }

        ClusterView build() {
            var used = new HashMap<Target, Long>(extra);
            var reserved = new HashMap<Target, Long>();
            for (CopyView c : copies) {
                (c.state() == CopyState.LOADING ? reserved : used).merge(c.target(), c.bytes(), Long::sum);
            }
            var list = new ArrayList<NodeView>();
            for (var e : nodes.entrySet()) {
                var devices = new ArrayList<DeviceView>();
                for (DeviceView d : e.getValue()) {
                    Target t = Target.of(e.getKey(), d.deviceId());
                    devices.add(new DeviceView(
                            d.deviceId(),
                            d.kind(),
                            d.capacityBytes(),
                            used.getOrDefault(t, 0L),
                            reserved.getOrDefault(t, 0L),
                            d.inFlight()));
                }
                list.add(new NodeView(e.getKey(), draining.contains(e.getKey()), devices));
            }
            return ClusterView.of(list, copies);
        }
    }

    /**
     * Replays {@code actions} on the view's memory and asserts that no device that receives a
     * copy ends up holding more than its capacity at that point. Unloads free a copy's bytes; loads
     * take the model's footprint; moves take the copy's bytes on the target and free the source.
     */
    static void assertBudgetsHold(ClusterView view, List<Action> actions, Map<ModelKey, ModelSpec> specs) {
        var held = new HashMap<Target, Long>();
        for (NodeView n : view.nodes()) {
            for (DeviceView d : n.devices()) {
                held.put(Target.of(n.nodeId(), d.deviceId()), d.usedBytes() + d.reservedBytes());
            }
        }
        for (Action a : actions) {
            if (a instanceof Action.Unload u) {
                held.merge(u.copy().target(), -u.copy().bytes(), Long::sum);
            } else if (a instanceof Action.Load l) {
                held.merge(l.target(), specs.get(l.key()).footprintBytes(), Long::sum);
                assertCapacity(view, l.target(), held);
            } else if (a instanceof Action.Move m) {
                held.merge(m.to(), m.copy().bytes(), Long::sum);
                assertCapacity(view, m.to(), held);
                held.merge(m.copy().target(), -m.copy().bytes(), Long::sum);
            }
        }
    }

    private static void assertCapacity(ClusterView view, Target t, Map<Target, Long> held) {
        assertThat(view.isPresent(t)).as("target %s is in the view", t).isTrue();
        assertThat(held.get(t))
                .as("bytes held on %s", t)
                .isLessThanOrEqualTo(view.device(t).orElseThrow().capacityBytes());
    }

    static List<Action.Load> loads(List<Action> actions) {
        var out = new ArrayList<Action.Load>();
        for (Action a : actions) {
            if (a instanceof Action.Load l) {
                out.add(l);
            }
        }
        return out;
    }

    static List<Action.Unload> unloads(List<Action> actions) {
        var out = new ArrayList<Action.Unload>();
        for (Action a : actions) {
            if (a instanceof Action.Unload u) {
                out.add(u);
            }
        }
        return out;
    }
}
