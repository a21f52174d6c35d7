package dev.modelmux.node.mesh;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.MemberEvent;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.placement.Action;
import dev.modelmux.placement.ClusterView;
import dev.modelmux.placement.CopyScaler;
import dev.modelmux.placement.CopyState;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DeviceView;
import dev.modelmux.placement.DrainDecision;
import dev.modelmux.placement.Drainer;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.NodeView;
import dev.modelmux.placement.Rebalancer;
import dev.modelmux.placement.ScaleDecision;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the mesh at the number of copies each model needs: pinned models and models with
 * {@code min_copies} are placed at once (also when a node leaves), busy models get more copies,
 * idle extra copies are scaled down and idle models past their TTL unloaded. One node acts — the
 * member with the smallest node id — so decisions don't race; any node takes over when it leaves.
 * Decisions come from {@link CopyScaler} over a snapshot of the shared state; the nodes named in
 * them load or unload through the authenticated peer channel.
 */
public final class MeshController {
    private static final Logger LOG = LoggerFactory.getLogger(MeshController.class);
    private static final long TICK_MS = 2000;
    private static final int MAX_ACTIONS_PER_TICK = 16;

    private final Vertx vertx;
    private final ClusterLink link;
    private final ModelManager models;
    private final Forwarder forwarder;
    private final CopyScaler scaler;
    private final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    /** Nodes that joined since the last tick: the rebalancer may move copies onto them. */
    private final Set<String> joined = ConcurrentHashMap.newKeySet();

    private final Rebalancer rebalancer = Rebalancer.defaults();
    private long timer = -1;
    private boolean ticking;
    private final Operators operators;
    private final Drainer drainer = Drainer.defaults();
    /** Copies being moved off draining nodes ({@code key@node}), so a later tick does not move them twice. */
    private final Set<String> moving = ConcurrentHashMap.newKeySet();
    /** Copies already reported as fitting nowhere, so the timeline says it once. */
    private final Set<String> stuckReported = ConcurrentHashMap.newKeySet();

    public MeshController(
            Vertx vertx,
            ClusterLink link,
            ModelManager models,
            Forwarder forwarder,
            CopyScaler scaler,
            Operators operators) {
        this.operators = operators;
        this.vertx = vertx;
        this.link = link;
        this.models = models;
        this.forwarder = forwarder;
        this.scaler = scaler;
    }

    public void start() {
        link.cluster().onMembership(e -> {
            if (e instanceof MemberEvent.Joined j) {
                joined.add(j.nodeId());
            }
        });
        timer = vertx.setPeriodic(TICK_MS, id -> tick());
    }

    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    boolean leader() {
        return link.isLeader();
    }

    private void tick() {
        if (ticking || !leader()) {
            return;
        }
        ticking = true;
        Future.fromCompletionStage(link.cluster().placements().snapshot(), vertx.getOrCreateContext())
                .compose(table -> {
                    long nowMillis = System.currentTimeMillis();
                    List<ModelManager.PlacementSpec> placementSpecs = models.placementSpecs();
                    Map<String, Integer> caps = new HashMap<>();
                    placementSpecs.forEach(s -> caps.put(s.model() + ":" + s.version(), s.maxCopies()));
                    ClusterView view = view(link.nodes(), table);
                    Map<ModelKey, ModelSpec> specs = specs(placementSpecs);
                    List<Action> actions = new ArrayList<>();
                    // A node that joined (and has published its record) may relieve over-full devices.
                    Set<String> arrived = new HashSet<>(joined);
                    arrived.retainAll(link.nodes().keySet());
                    if (!arrived.isEmpty()) {
                        joined.removeAll(arrived);
                        actions.addAll(rebalancer
                                .rebalance(view, specs, arrived, nowMillis * 1_000_000L)
                                .actions());
                    }
                    ScaleDecision d = scaler.scale(view, specs, nowMillis * 1_000_000L);
                    actions.addAll(d.actions());
                    drain(view, specs, nowMillis);
                    List<Future<Void>> running = new ArrayList<>();
                    for (Action a : actions) {
                        if (running.size() >= MAX_ACTIONS_PER_TICK) {
                            break;
                        }
                        if (a instanceof Action.Load load
                                && load.reason() == Action.Reason.SCALE_UP
                                && atCap(load.key(), caps, table)) {
                            continue;
                        }
                        Future<Void> f = execute(a);
                        if (f != null) {
                            running.add(f);
                        }
                    }
                    return Future.join(running).<Void>mapEmpty();
                })
                .onFailure(t -> LOG.warn("mesh controller: {}", t.getMessage()))
                .onComplete(ar -> ticking = false);
    }

    /** Whether a model already has the {@code max_copies} its config allows (0 = no cap). */
    private static boolean atCap(
            ModelKey key, Map<String, Integer> caps, Map<dev.modelmux.cluster.ModelKey, List<Copy>> table) {
        int cap = caps.getOrDefault(key.name() + ":" + key.version(), 0);
        if (cap <= 0) {
            return false;
        }
        long active =
                table.getOrDefault(dev.modelmux.cluster.ModelKey.of(key.name(), key.version()), List.of()).stream()
                        .filter(c -> c.state() == Copy.State.READY || c.state() == Copy.State.LOADING)
                        .count();
        return active >= cap;
    }

    private Future<Void> execute(Action a) {
        if (a instanceof Action.Load load) {
            return place(load.key(), load.target().nodeId(), true, load.reason().name());
        }
        if (a instanceof Action.Unload unload) {
            return place(
                    unload.copy().key(),
                    unload.copy().nodeId(),
                    false,
                    unload.reason().name());
        }
        if (a instanceof Action.Move move) {
            return place(
                            move.copy().key(),
                            move.to().nodeId(),
                            true,
                            move.reason().name())
                    .compose(v -> place(
                            move.copy().key(),
                            move.copy().nodeId(),
                            false,
                            move.reason().name()));
        }
        return null;
    }

    /**
     * Empties draining nodes: copies others serve are unloaded; the rest are loaded elsewhere and,
     * only once that copy is READY, unloaded from the draining node.
     */
    private void drain(ClusterView view, Map<ModelKey, ModelSpec> specs, long nowMillis) {
        if (view.nodes().stream().noneMatch(NodeView::draining)) {
            stuckReported.clear();
            return;
        }
        DrainDecision d = drainer.drain(view, specs, nowMillis * 1_000_000L);
        for (Action a : d.actions()) {
            if (a instanceof Action.Move move) {
                String token = move.copy().key() + "@" + move.copy().nodeId();
                if (!moving.add(token)) {
                    continue;
                }
                ModelKey key = move.copy().key();
                String from = move.copy().nodeId();
                String to = move.to().nodeId();
                place(key, to, true, "drain", true)
                        .compose(v -> place(key, from, false, "drain", true))
                        .onSuccess(v -> operators.record(MeshEvent.model(
                                System.currentTimeMillis(),
                                MeshEvent.Kind.MOVED,
                                to,
                                move.to().deviceId(),
                                key.name(),
                                key.version(),
                                move.copy().bytes(),
                                0,
                                MeshEvent.ACTOR_MESH,
                                "from draining node " + from)))
                        .onComplete(ar -> moving.remove(token));
            } else if (a instanceof Action.Unload unload
                    && !moving.contains(
                            unload.copy().key() + "@" + unload.copy().nodeId())) {
                place(
                        unload.copy().key(),
                        unload.copy().nodeId(),
                        false,
                        unload.reason().name());
            }
        }
        for (CopyView c : d.stuck()) {
            if (stuckReported.add(c.key() + "@" + c.nodeId())) {
                LOG.warn(
                        "mesh: {} on draining node {} fits on no other node; it stays and keeps serving",
                        c.key(),
                        c.nodeId());
                operators.record(MeshEvent.model(
                        System.currentTimeMillis(),
                        MeshEvent.Kind.LOAD_FAILED,
                        c.nodeId(),
                        c.deviceId(),
                        c.key().name(),
                        c.key().version(),
                        0,
                        0,
                        MeshEvent.ACTOR_MESH,
                        "cannot move off the draining node: no room on any other node"));
            }
        }
    }

    private Future<Void> place(ModelKey key, String nodeId, boolean load, String reason) {
        return place(key, nodeId, load, reason, false);
    }

    /** Loads or unloads one copy; failures are logged and, unless {@code strict}, swallowed. */
    private Future<Void> place(ModelKey key, String nodeId, boolean load, String reason, boolean strict) {
        String token = key + "@" + nodeId;
        if (!inFlight.add(token)) {
            return strict
                    ? Future.failedFuture("a placement of " + token + " is already running")
                    : Future.succeededFuture();
        }
        LOG.info("mesh: {} {} on {} ({})", load ? "load" : "unload", key, nodeId, reason.toLowerCase(Locale.ROOT));
        Future<Void> f;
        if (nodeId.equals(link.nodeId())) {
            f = load ? models.loadVersion(key.name(), key.version()) : models.unloadVersion(key.name(), key.version());
        } else {
            f = link.node(nodeId)
                    .map(n -> forwarder.place(n, key.name(), key.version(), load))
                    .orElseGet(() -> Future.failedFuture("node " + nodeId + " is gone"));
        }
        return f.recover(t -> {
                    LOG.warn("mesh: {} {} on {} failed: {}", load ? "load" : "unload", key, nodeId, t.getMessage());
                    return strict ? Future.failedFuture(t) : Future.succeededFuture();
                })
                .eventually(() -> {
                    inFlight.remove(token);
                    return Future.succeededFuture();
                });
    }

    private Map<ModelKey, ModelSpec> specs(List<ModelManager.PlacementSpec> placementSpecs) {
        return specs(placementSpecs, operators::pinned);
    }

    /** Placement's view of the served models; {@code runtimePinned} says which the operators pinned. */
    static Map<ModelKey, ModelSpec> specs(
            List<ModelManager.PlacementSpec> placementSpecs, Predicate<String> runtimePinned) {
        Map<ModelKey, ModelSpec> out = new HashMap<>();
        for (ModelManager.PlacementSpec s : placementSpecs) {
            ModelKey key = new ModelKey(s.model(), s.version());
            out.put(
                    key,
                    new ModelSpec(
                            key,
                            s.predictedBytes(),
                            OptionalLong.empty(),
                            0,
                            s.pinned() || runtimePinned.test(s.model()),
                            s.minCopies(),
                            s.idleTtlSeconds() * 1_000_000_000L));
        }
        return out;
    }

    public static ClusterView view(
            Map<String, NodeRecord> nodes, Map<dev.modelmux.cluster.ModelKey, List<Copy>> table) {
        List<NodeView> nodeViews = new ArrayList<>();
        for (NodeRecord n : nodes.values()) {
            List<DeviceView> devices = new ArrayList<>();
            for (DeviceRecord d : n.devices()) {
                devices.add(new DeviceView(
                        d.deviceId(), d.kind(), d.capacityBytes(), d.usedBytes(), d.reservedBytes(), d.inFlight()));
            }
            nodeViews.add(new NodeView(n.nodeId(), n.draining(), devices));
        }
        List<CopyView> copies = new ArrayList<>();
        table.forEach((k, list) -> {
            for (Copy c : list) {
                copies.add(new CopyView(
                        new ModelKey(k.model(), k.version()),
                        c.nodeId(),
                        c.deviceId(),
                        CopyState.valueOf(c.state().name()),
                        c.bytes(),
                        0,
                        c.stateSinceMillis() * 1_000_000L,
                        c.lastUsedMillis() * 1_000_000L,
                        c.requestRate(),
                        0));
            }
        });
        return ClusterView.of(nodeViews, copies);
    }
}
