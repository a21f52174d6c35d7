package dev.modelmux.node.mesh;

import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.cluster.Sequenced;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.placement.CopyView;
import dev.modelmux.placement.DrainDecision;
import dev.modelmux.placement.Drainer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Graceful scale-in: before a node stops it flags itself draining in the mesh's operators' state,
 * so the leader moves its READY copies to other nodes (each new copy READY before the old one is
 * unloaded, after its in-flight requests) while this node keeps serving what reaches it; it waits
 * until it holds no copy that another node could take, or the drain timeout passes. Then the node
 * shuts down as before, and {@link #release} clears the flag it set just before it leaves the mesh.
 * A flag an operator set is kept (the drain was theirs). At start {@link #clearLeftover} clears a
 * flag that an earlier run of the same node id left behind by dying mid-drain, so a restarted pod
 * does not come back draining.
 */
public final class ScaleIn {
    private static final Logger LOG = LoggerFactory.getLogger(ScaleIn.class);
    /** The timeline detail of a drain a stopping node started itself. */
    static final String DETAIL = "shutting down: its copies move to other nodes";

    private static final long POLL_MS = 200;

    private final Vertx vertx;
    private final ClusterLink link;
    private final ModelManager models;
    private final DevicePool pool;
    private final Operators operators;
    private final Drainer drainer = Drainer.defaults();
    private volatile boolean flagged;

    public ScaleIn(Vertx vertx, ClusterLink link, ModelManager models, DevicePool pool, Operators operators) {
        this.vertx = vertx;
        this.link = link;
        this.models = models;
        this.pool = pool;
        this.operators = operators;
    }

    /**
     * Drains this node before it stops; completes (never fails) once it holds no copy another node
     * could take, or after {@code timeout}. Skipped when {@code timeout} is zero and when no other
     * node that is not draining is in the mesh (the last node keeps serving to the end).
     */
    public Future<Void> drain(Duration timeout) {
        String self = link.nodeId();
        if (timeout.isZero()) {
            return Future.succeededFuture();
        }
        Set<String> members = link.cluster().members();
        boolean others = link.nodes().values().stream()
                .anyMatch(n -> !n.nodeId().equals(self) && !n.draining() && members.contains(n.nodeId()));
        if (!others) {
            LOG.info("scale-in: no other node can take this node's copies; stopping without a drain");
            return Future.succeededFuture();
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        LOG.info(
                "scale-in: draining node {} before it stops (up to {} ms): its copies move to other nodes",
                self,
                timeout.toMillis());
        return Future.fromCompletionStage(link.cluster().operators().draining(), vertx.getOrCreateContext())
                .compose(drains -> drains.contains(self)
                        ? Future.succeededFuture(false)
                        : Future.fromCompletionStage(
                                link.cluster().operators().setDraining(self, true), vertx.getOrCreateContext()))
                .compose(changed -> {
                    if (changed) {
                        flagged = true;
                        operators.record(MeshEvent.node(
                                System.currentTimeMillis(), MeshEvent.Kind.DRAIN, self, MeshEvent.ACTOR_MESH, DETAIL));
                    }
                    link.drainingChanged();
                    return drained(deadline);
                })
                .recover(t -> {
                    LOG.warn("scale-in: the drain did not complete ({}); stopping anyway", t.getMessage());
                    return Future.succeededFuture();
                });
    }

    /** Polls until nothing movable is left here, or the deadline. */
    private Future<Void> drained(long deadline) {
        Promise<Void> done = Promise.promise();
        long started = System.nanoTime();
        vertx.setPeriodic(POLL_MS, id -> {
            List<String> left;
            try {
                left = movable();
            } catch (RuntimeException e) {
                LOG.debug("scale-in: checking the drain failed: {}", e.toString());
                return;
            }
            if (left.isEmpty()) {
                vertx.cancelTimer(id);
                List<String> stays = held();
                LOG.info(
                        "scale-in: drained in {} ms{}",
                        (System.nanoTime() - started) / 1_000_000,
                        stays.isEmpty() ? "" : "; no other node has room for " + stays + ", which stop with this node");
                done.tryComplete();
            } else if (System.nanoTime() - deadline >= 0) {
                vertx.cancelTimer(id);
                LOG.warn(
                        "scale-in: drain timeout; still here: {} (they stop with this node, the mesh loads them again where asked)",
                        left);
                done.tryComplete();
            }
        });
        return done.future();
    }

    /** The model versions this node still holds (READY or LOADING). */
    private List<String> held() {
        List<String> out = new ArrayList<>();
        for (DeviceSnapshot d : pool.snapshot()) {
            for (DeviceSnapshot.Resident r : d.residents()) {
                if (r.state() != DeviceSnapshot.State.UNLOADING) {
                    out.add(r.key().model() + ":" + r.key().version());
                }
            }
        }
        return out;
    }

    /**
     * What this node still holds that should go first: anything loading (it becomes READY, then
     * moves), and every READY copy except those placement says fit on no other node.
     */
    private List<String> movable() {
        List<String> held = new ArrayList<>();
        boolean loading = false;
        for (DeviceSnapshot d : pool.snapshot()) {
            for (DeviceSnapshot.Resident r : d.residents()) {
                if (r.state() == DeviceSnapshot.State.LOADING) {
                    loading = true;
                }
                if (r.state() != DeviceSnapshot.State.UNLOADING) {
                    held.add(r.key().model() + ":" + r.key().version());
                }
            }
        }
        if (held.isEmpty() || loading) {
            return held;
        }
        String self = link.nodeId();
        Map<String, NodeRecord> nodes = new HashMap<>(link.nodes());
        nodes.computeIfPresent(
                self,
                (id, n) -> n.draining()
                        ? n
                        : new NodeRecord(
                                n.nodeId(), n.grpcHost(), n.grpcPort(), n.devices(), true, n.updatedAtMillis()));
        DrainDecision d = drainer.drain(
                MeshController.view(nodes, link.table()),
                MeshController.specs(models.placementSpecs(), operators::pinned),
                System.currentTimeMillis() * 1_000_000L);
        Set<String> stuck = new HashSet<>();
        for (CopyView c : d.stuck()) {
            if (c.nodeId().equals(self)) {
                stuck.add(c.key().name() + ":" + c.key().version());
            }
        }
        held.removeAll(stuck);
        return held;
    }

    /** Clears the draining flag {@link #drain} set (called just before the node leaves the mesh); never fails. */
    public Future<Void> release() {
        if (!flagged) {
            return Future.succeededFuture();
        }
        flagged = false;
        return Future.fromCompletionStage(
                        link.cluster().operators().setDraining(link.nodeId(), false), vertx.getOrCreateContext())
                .<Void>mapEmpty()
                .recover(t -> {
                    LOG.warn(
                            "scale-in: could not clear this node's draining flag ({}); it is cleared when the node id starts again",
                            t.getMessage());
                    return Future.succeededFuture();
                });
    }

    /**
     * At start: if this node id is flagged draining and the newest drain or undrain of it in the
     * timeline is a stopping node's own drain, an earlier run died before it could clear the flag:
     * clear it. An operator's drain stays. Never fails.
     */
    public Future<Void> clearLeftover() {
        String self = link.nodeId();
        return Future.fromCompletionStage(link.cluster().operators().draining(), vertx.getOrCreateContext())
                .compose(drains -> {
                    if (!drains.contains(self)) {
                        return Future.succeededFuture();
                    }
                    return Future.fromCompletionStage(
                                    link.cluster()
                                            .operators()
                                            .events()
                                            .recent(link.cluster()
                                                    .operators()
                                                    .events()
                                                    .capacity()),
                                    vertx.getOrCreateContext())
                            .compose(events -> {
                                MeshEvent last = null;
                                for (Sequenced s : events) {
                                    MeshEvent e = s.event();
                                    if (e.nodeId().equals(self)
                                            && (e.kind() == MeshEvent.Kind.DRAIN
                                                    || e.kind() == MeshEvent.Kind.UNDRAIN)) {
                                        last = e;
                                    }
                                }
                                if (last != null
                                        && last.kind() == MeshEvent.Kind.DRAIN
                                        && MeshEvent.ACTOR_MESH.equals(last.actor())
                                        && DETAIL.equals(last.detail())) {
                                    LOG.info(
                                            "scale-in: node {} was left draining by an earlier run that stopped mid-drain; clearing the flag",
                                            self);
                                    return Future.fromCompletionStage(
                                                    link.cluster().operators().setDraining(self, false),
                                                    vertx.getOrCreateContext())
                                            .onSuccess(changed -> link.drainingChanged())
                                            .<Void>mapEmpty();
                                }
                                LOG.warn(
                                        "scale-in: node {} starts flagged draining by an operator; it takes no copies until undrained",
                                        self);
                                return Future.succeededFuture();
                            });
                })
                .recover(t -> {
                    LOG.warn("scale-in: could not check this node's draining flag at start: {}", t.getMessage());
                    return Future.succeededFuture();
                });
    }
}
