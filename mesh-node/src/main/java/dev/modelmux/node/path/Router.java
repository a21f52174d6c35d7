package dev.modelmux.node.path;

import dev.modelmux.admission.sched.WakeTimer;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.mesh.MeshController;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Decides where a request runs: here when this node holds a ready copy; otherwise on a ready
 * holder elsewhere (the less busy of two picked at random), on the node already loading it, or,
 * when no copy exists anywhere, on the node that wins the cluster-wide claim to load it — so
 * concurrent first requests across the mesh cause one load. A forward whose holder is unreachable
 * is retried once on another holder, then served here. A forward to a READY holder that has not been
 * answered within the model's recent p95 may be hedged to a second READY holder ({@link HedgePolicy},
 * {@link HedgedForward}); a model opts out with the config parameter {@code hedging: "false"}. A
 * version this node cannot load now (its artifact could not be read; tried again with backoff) is
 * forwarded to a holder like any other, and its first copy goes to a peer.
 */
public final class Router {
    private final ClusterLink link;
    private final ModelManager models;
    private final DevicePool pool;
    private final Forwarder forwarder;
    private final LongSupplier nanoClock;
    private final DevicePicker picker = DevicePicker.defaults();
    private final HedgePolicy hedges;
    private final WakeTimer timer;
    private final HedgedForward.Counters hedgeCounters;

    /** A router that never hedges. */
    public Router(ClusterLink link, ModelManager models, DevicePool pool, Forwarder forwarder, LongSupplier nanoClock) {
        this(link, models, pool, forwarder, nanoClock, null, null, HedgedForward.Counters.NONE);
    }

    /**
     * A router that hedges forwards to READY holders by {@code hedges} (null: never), timing the
     * hedge delay with {@code timer}.
     */
    public Router(
            ClusterLink link,
            ModelManager models,
            DevicePool pool,
            Forwarder forwarder,
            LongSupplier nanoClock,
            HedgePolicy hedges,
            WakeTimer timer,
            HedgedForward.Counters hedgeCounters) {
        this.link = link;
        this.models = models;
        this.pool = pool;
        this.forwarder = forwarder;
        this.nanoClock = nanoClock;
        this.hedges = hedges;
        this.timer = timer;
        this.hedgeCounters = hedgeCounters;
    }

    /** Counts a request served on this node, for the rate this node reports to the mesh. */
    public void served(String model, long version) {
        link.recordUse(model, version);
    }

    /** Completes with the peer's answer, or empty when the request should be served on this node. */
    public Future<Optional<ModelInferResponse>> route(InferRequest req, String tenantId) {
        Optional<Long> version = models.routingVersion(req.model(), req.version());
        if (version.isEmpty()) {
            return Future.succeededFuture(Optional.empty());
        }
        long v = version.get();
        return link.copies(req.model(), v).compose(copies -> {
            List<NodeRecord> ready = holders(copies, Copy.State.READY);
            if (!ready.isEmpty()) {
                List<NodeRecord> answering = answering(ready);
                if (answering.isEmpty()
                        && !heldHere(copies)
                        && target(models.predictedBytes(req.model(), v), false)
                                .node()
                                .isEmpty()) {
                    // Every holder stopped answering forwards (a partition, a frozen process): serve it
                    // here, loading a copy, rather than wait on them until the cluster notices.
                    return Future.succeededFuture(Optional.empty());
                }
                return forwardWithRetry(req, answering.isEmpty() ? ready : answering, tenantId, true);
            }
            if (heldHere(copies)) {
                return Future.succeededFuture(Optional.empty());
            }
            List<NodeRecord> loading = holders(copies, Copy.State.LOADING);
            if (!loading.isEmpty()) {
                return forwardWithRetry(req, loading, tenantId, false);
            }
            long predicted = models.predictedBytes(req.model(), v);
            Target target = target(predicted, models.loadBackingOff(req.model(), v));
            return link.claimFirstLoad(req.model(), v, target.nodeId(), target.deviceId(), predicted)
                    .compose(won -> {
                        if (won) {
                            return target.node().isEmpty()
                                    ? Future.succeededFuture(Optional.empty())
                                    : forwardWithRetry(
                                            req, List.of(target.node().get()), tenantId, false);
                        }
                        // Someone else claimed it first: go where that copy is (read the table itself, not the
                        // follower).
                        return link.copiesNow(req.model(), v).compose(now -> {
                            List<NodeRecord> elsewhere = holders(now, null);
                            return elsewhere.isEmpty()
                                    ? Future.succeededFuture(Optional.<ModelInferResponse>empty())
                                    : forwardWithRetry(req, elsewhere, tenantId, false);
                        });
                    });
        });
    }

    /** The holders no forward has found silent lately ({@link Forwarder#suspected}). */
    private List<NodeRecord> answering(List<NodeRecord> holders) {
        List<NodeRecord> out = new ArrayList<>(holders.size());
        for (NodeRecord n : holders) {
            if (!forwarder.suspected(n.nodeId())) {
                out.add(n);
            }
        }
        return out;
    }

    /** Live holders other than this node in the given state (any state but FAILED/UNLOADING when null). */
    private List<NodeRecord> holders(List<Copy> copies, Copy.State state) {
        List<NodeRecord> out = new ArrayList<>();
        for (Copy c : copies) {
            boolean wanted = state == null
                    ? c.state() == Copy.State.READY || c.state() == Copy.State.LOADING
                    : c.state() == state;
            if (wanted && !c.nodeId().equals(link.nodeId())) {
                link.node(c.nodeId())
                        .filter(n -> out.stream().noneMatch(o -> o.nodeId().equals(n.nodeId())))
                        .ifPresent(out::add);
            }
        }
        return out;
    }

    private boolean heldHere(List<Copy> copies) {
        return copies.stream()
                .anyMatch(c -> c.nodeId().equals(link.nodeId())
                        && (c.state() == Copy.State.READY || c.state() == Copy.State.LOADING));
    }

    /**
     * Forwards to the better of two holders; a holder found unreachable is replaced by the other, then
     * by this node. Forwards to READY holders ({@code hedgeable}) are hedged when the policy says so:
     * see {@link HedgedForward}.
     */
    private Future<Optional<ModelInferResponse>> forwardWithRetry(
            InferRequest req, List<NodeRecord> holders, String tenantId, boolean hedgeable) {
        List<NodeRecord> order = twoChoices(holders);
        boolean timed = hedgeable && hedges != null && models.hedgingAllowed(req.model());
        if (timed && order.size() >= 2) {
            OptionalLong delay = hedges.forwarding(req.model());
            if (delay.isPresent()) {
                long deadline = req.deadlineNanos();
                HedgedForward race = HedgedForward.start(
                        req.model(),
                        order.get(0),
                        order.get(1),
                        delay.getAsLong(),
                        hedges,
                        timer,
                        nanoClock,
                        (target, cancel) -> forwarder.forward(
                                target, WireForm.toWire(req), remaining(deadline), tenantId, cancelled(req, cancel)),
                        hedgeCounters);
                return race.answer().map(Optional::of).recover(t -> {
                    if (!HedgedForward.peerDown(t)) {
                        return Future.failedFuture(ServingException.of(t));
                    }
                    // Both holders tried and unreachable: serve it here; only the first: try the other.
                    return race.hedged()
                            ? Future.succeededFuture(Optional.empty())
                            : forward(req, order, 1, tenantId, false);
                });
            }
        }
        return forward(req, order, 0, tenantId, timed);
    }

    private Future<Optional<ModelInferResponse>> forward(
            InferRequest req, List<NodeRecord> order, int i, String tenantId, boolean timed) {
        if (i >= order.size() || i >= 2) {
            // The holders are gone: serve it here (inference is idempotent).
            return Future.succeededFuture(Optional.empty());
        }
        long start = nanoClock.getAsLong();
        return forwarder
                .forward(
                        order.get(i),
                        WireForm.toWire(req),
                        remaining(req.deadlineNanos()),
                        tenantId,
                        cancelled(req, Future.<Void>future(p -> {})))
                .map(resp -> {
                    if (timed) {
                        // What the hedge delay learns from: the forward latency of READY holders.
                        hedges.answered(req.model(), nanoClock.getAsLong() - start);
                    }
                    return Optional.of(resp);
                })
                .recover(t -> {
                    ServingException se = ServingException.of(t);
                    boolean peerDown = se.reason() == ServingException.Reason.PEER_UNREACHABLE;
                    return peerDown ? forward(req, order, i + 1, tenantId, timed) : Future.failedFuture(se);
                });
    }

    /** Completes when the request's caller goes, or when {@code also} completes (a hedge's loser). */
    private static Future<Void> cancelled(InferRequest req, Future<Void> also) {
        Promise<Void> either = Promise.promise();
        also.onSuccess(v -> either.tryComplete());
        req.cancel().onCancel(either::tryComplete);
        return either.future();
    }

    private long remaining(long deadlineNanos) {
        return deadlineNanos == Long.MAX_VALUE ? Long.MAX_VALUE : deadlineNanos - nanoClock.getAsLong();
    }

    /** Power of two choices on in-flight requests: the less busy of two random holders first. */
    private List<NodeRecord> twoChoices(List<NodeRecord> holders) {
        List<NodeRecord> order = new ArrayList<>(holders);
        if (order.size() == 2 && ThreadLocalRandom.current().nextBoolean()) {
            // Ties (two idle holders, or reports not yet in) go to either at random, not always the first.
            Collections.swap(order, 0, 1);
        }
        if (order.size() > 2) {
            int a = ThreadLocalRandom.current().nextInt(order.size());
            int b = ThreadLocalRandom.current().nextInt(order.size() - 1);
            b = b >= a ? b + 1 : b;
            order = new ArrayList<>(List.of(order.get(a), order.get(b)));
        }
        order.sort(Comparator.comparingInt(Router::inFlight));
        return order;
    }

    private static int inFlight(NodeRecord n) {
        return n.devices().stream().mapToInt(DeviceRecord::inFlight).sum();
    }

    /**
     * Where a first copy goes: here if a device has room, else the peer with the most free memory.
     *
     * @param notHere this node cannot load it now (it could not read the artifact): a peer, if any
     */
    private Target target(long predicted, boolean notHere) {
        boolean elsewhere = link.isDraining(link.nodeId()) || notHere;
        for (DeviceSnapshot d : elsewhere ? List.<DeviceSnapshot>of() : pool.snapshot()) {
            if (d.freeBytes() >= predicted) {
                return new Target(link.nodeId(), d.spec().id(), Optional.empty());
            }
        }
        // Placement's device picker over the other nodes: fits with headroom, least loaded, most free.
        ModelKey key = new ModelKey("first-load", 1);
        ModelSpec spec = new ModelSpec(key, predicted, OptionalLong.empty(), 0, false, 0, 0);
        Optional<dev.modelmux.placement.Target> picked = picker.pickFree(
                MeshController.view(link.nodes(), Map.of()),
                spec,
                n -> !n.nodeId().equals(link.nodeId()));
        if (picked.isPresent()) {
            Optional<NodeRecord> node = link.node(picked.get().nodeId());
            if (node.isPresent()) {
                return new Target(picked.get().nodeId(), picked.get().deviceId(), node);
            }
        }
        if (elsewhere) {
            // A draining node takes no new copies (nor one that cannot read the artifact now): the peer
            // with the most free memory evicts for it.
            Optional<NodeRecord> peer = link.nodes().values().stream()
                    .filter(n -> !n.nodeId().equals(link.nodeId())
                            && !n.draining()
                            && !n.devices().isEmpty())
                    .max(Comparator.comparingLong(n -> n.devices().stream()
                            .mapToLong(DeviceRecord::freeBytes)
                            .max()
                            .orElse(0)));
            if (peer.isPresent()) {
                return new Target(
                        peer.get().nodeId(), peer.get().devices().get(0).deviceId(), peer);
            }
        }
        // Nowhere has free room: load here and let the local pool evict what is cold.
        String device = pool.devices().get(0).id();
        return new Target(link.nodeId(), device, Optional.empty());
    }

    /** A node and device for a first copy; {@code node} is empty for this node. */
    private record Target(String nodeId, String deviceId, Optional<NodeRecord> node) {}
}
