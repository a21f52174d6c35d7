package dev.modelmux.placement.internal;

import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DeviceView;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.NodeView;
import dev.modelmux.placement.Target;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@link ClusterView} implementation, indexed by model and by device.
 *
 * <p>Views handed out by {@link #of} are never mutated. Decisions that place several copies in
 * one pass take a {@link #workingCopy} and apply their own actions to it ({@link #addLoading},
 * {@link #remove}), so later choices in the pass see the memory and copies of earlier ones.
 */
public final class IndexedView implements ClusterView {
    private final Map<String, NodeView> nodes;
    private final Map<Target, DeviceView> devices;
    private final Map<ModelKey, List<CopyView>> byKey;
    private final Map<Target, List<CopyView>> byDevice;

    private IndexedView(
            Map<String, NodeView> nodes,
            Map<Target, DeviceView> devices,
            Map<ModelKey, List<CopyView>> byKey,
            Map<Target, List<CopyView>> byDevice) {
        this.nodes = nodes;
        this.devices = devices;
        this.byKey = byKey;
        this.byDevice = byDevice;
    }

    public static IndexedView of(List<NodeView> nodeList, List<CopyView> copyList) {
        var nodes = new LinkedHashMap<String, NodeView>();
        var devices = new HashMap<Target, DeviceView>();
        for (NodeView n : nodeList) {
            if (nodes.put(n.nodeId(), n) != null) {
                throw new IllegalArgumentException("node " + n.nodeId() + " appears twice in the view");
            }
            for (DeviceView d : n.devices()) {
                devices.put(new Target(n.nodeId(), d.deviceId()), d);
            }
        }
        var view = new IndexedView(nodes, devices, new HashMap<>(), new HashMap<>());
        for (CopyView c : copyList) {
            view.index(c);
        }
        return view;
    }

    /** A mutable copy of any view, for planning several actions in one pass. */
    public static IndexedView workingCopy(ClusterView view) {
        IndexedView copy = of(view.nodes(), List.of());
        for (CopyView c : view.copies()) {
            copy.index(c);
        }
        return copy;
    }

    private void index(CopyView c) {
        byKey.computeIfAbsent(c.key(), k -> new ArrayList<>(2)).add(c);
        byDevice.computeIfAbsent(c.target(), k -> new ArrayList<>(4)).add(c);
    }

    /** Records a LOADING copy at {@code target} and reserves its bytes there. */
    public CopyView addLoading(ModelKey key, Target target, long bytes, long nowNanos) {
        CopyView c = new CopyView(
                key, target.nodeId(), target.deviceId(), CopyState.LOADING, bytes, 0, nowNanos, nowNanos, 0, 0);
        index(c);
        DeviceView d = devices.get(target);
        if (d != null) {
            setDevice(target, d.withMemory(d.usedBytes(), Sizes.add(d.reservedBytes(), bytes)));
        }
        return c;
    }

    /** Forgets a copy and returns its bytes to its device, as if it had been unloaded. */
    public void remove(CopyView c) {
        List<CopyView> ofKey = byKey.get(c.key());
        if (ofKey == null || !ofKey.remove(c)) {
            throw new IllegalArgumentException("no such copy in the view: " + c);
        }
        if (ofKey.isEmpty()) {
            byKey.remove(c.key());
        }
        byDevice.get(c.target()).remove(c);
        DeviceView d = devices.get(c.target());
        if (d != null) {
            if (c.state() == CopyState.LOADING) {
                setDevice(c.target(), d.withMemory(d.usedBytes(), Math.max(0, d.reservedBytes() - c.bytes())));
            } else {
                setDevice(c.target(), d.withMemory(Math.max(0, d.usedBytes() - c.bytes()), d.reservedBytes()));
            }
        }
    }

    /** Replaces a copy by its UNLOADING self: it stops counting as a copy but keeps its bytes until unloaded. */
    public void markUnloading(CopyView c) {
        remove(c);
        CopyView unloading = c.withState(CopyState.UNLOADING);
        index(unloading);
        DeviceView d = devices.get(c.target());
        if (d != null) {
            setDevice(c.target(), d.withMemory(Sizes.add(d.usedBytes(), c.bytes()), d.reservedBytes()));
        }
    }

    private void setDevice(Target target, DeviceView updated) {
        devices.put(target, updated);
        NodeView n = nodes.get(target.nodeId());
        var list = new ArrayList<DeviceView>(n.devices().size());
        for (DeviceView d : n.devices()) {
            list.add(d.deviceId().equals(target.deviceId()) ? updated : d);
        }
        nodes.put(n.nodeId(), new NodeView(n.nodeId(), n.draining(), list));
    }

    @Override
    public List<NodeView> nodes() {
        return List.copyOf(nodes.values());
    }

    @Override
    public List<CopyView> copies() {
        var all = new ArrayList<CopyView>();
        for (List<CopyView> l : byKey.values()) {
            all.addAll(l);
        }
        return all;
    }

    @Override
    public Optional<NodeView> node(String nodeId) {
        return Optional.ofNullable(nodes.get(nodeId));
    }

    @Override
    public Optional<DeviceView> device(Target target) {
        return Optional.ofNullable(devices.get(target));
    }

    @Override
    public boolean isPresent(Target target) {
        return devices.containsKey(target);
    }

    @Override
    public List<CopyView> copiesOf(ModelKey key) {
        return Collections.unmodifiableList(byKey.getOrDefault(key, List.of()));
    }

    @Override
    public List<CopyView> copiesOn(Target target) {
        return Collections.unmodifiableList(byDevice.getOrDefault(target, List.of()));
    }

    @Override
    public Set<ModelKey> models() {
        return Collections.unmodifiableSet(new TreeSet<>(byKey.keySet()));
    }

    @Override
    public int readyCount(ModelKey key) {
        int n = 0;
        for (CopyView c : byKey.getOrDefault(key, List.of())) {
            if (c.isReady() && devices.containsKey(c.target())) {
                n++;
            }
        }
        return n;
    }

    @Override
    public List<CopyView> lostCopies() {
        var lost = new ArrayList<CopyView>();
        for (var e : byDevice.entrySet()) {
            if (!devices.containsKey(e.getKey())) {
                lost.addAll(e.getValue());
            }
        }
        return lost;
    }
}
