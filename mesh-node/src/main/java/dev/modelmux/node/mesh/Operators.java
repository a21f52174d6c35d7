package dev.modelmux.node.mesh;

import dev.modelmux.admin.Timeline;
import dev.modelmux.cluster.MemberEvent;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.Sequenced;
import dev.modelmux.cluster.Subscription;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.PoolEvent;
import dev.modelmux.node.catalog.ModelManager;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the operators' shared state: it publishes what happens here to the mesh's
 * event timeline (loads, evictions, unloads, failures, joins, leaves, operators' actions), mirrors
 * the timeline locally for the admin API, and keeps the runtime pins applied to the local pool
 * (a pinned model is never evicted). Nothing here blocks: cluster calls return futures, and the
 * pool listener only appends.
 */
public final class Operators implements PoolEvent.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(Operators.class);
    private static final long SYNC_MS = 1000;
    /** Events kept in this node's mirror (the shared log keeps more). */
    public static final int MIRROR = 2000;

    private final Vertx vertx;
    private final ClusterLink link;
    private final Timeline<MeshEvent> timeline = new Timeline<>(MIRROR);
    private final AtomicBoolean syncing = new AtomicBoolean();
    private volatile Set<String> pinned = Set.of();
    private volatile DevicePool pool;
    private volatile ModelManager models;
    private volatile Subscription following;
    private volatile boolean closed;
    private long timer = -1;

    public Operators(Vertx vertx, ClusterLink link) {
        this.vertx = vertx;
        this.link = link;
    }

    /** Starts following the timeline and syncing pins; records this node's join. */
    public void start(DevicePool pool, ModelManager models) {
        this.pool = pool;
        this.models = models;
        models.runtimePins(this::pinned);
        following = link.cluster().operators().events().follow(batch -> {
            for (Sequenced s : batch) {
                timeline.add(s.seq(), s.event());
            }
        });
        // History first, then what the follower brings; the timeline ignores what it has seen.
        link.cluster().operators().events().recent(MIRROR).whenComplete((history, t) -> {
            if (t == null) {
                for (Sequenced s : history) {
                    timeline.add(s.seq(), s.event());
                }
            }
            record(MeshEvent.node(
                    now(),
                    MeshEvent.Kind.JOINED,
                    link.nodeId(),
                    MeshEvent.ACTOR_MESH,
                    "devices " + pool.devices().stream().map(d -> d.id()).toList()));
        });
        link.cluster().onMembership(e -> {
            // The leader speaks for a node that left (it cannot).
            if (e instanceof MemberEvent.Left left && leader()) {
                record(MeshEvent.node(now(), MeshEvent.Kind.LEFT, left.nodeId(), MeshEvent.ACTOR_MESH, ""));
            }
        });
        timer = vertx.setPeriodic(0, SYNC_MS, id -> sync());
    }

    public Timeline<MeshEvent> timeline() {
        return timeline;
    }

    /** Whether the operators pinned {@code model} at runtime (as of the last sync). */
    public boolean pinned(String model) {
        return pinned.contains(model);
    }

    public Set<String> pinnedModels() {
        return pinned;
    }

    /** Pins or unpins a model cluster-wide, records it, and applies it here at once. */
    public Future<Boolean> setPinned(String model, boolean pin) {
        return Future.fromCompletionStage(link.cluster().operators().setPinned(model, pin), vertx.getOrCreateContext())
                .onSuccess(changed -> {
                    if (changed) {
                        record(MeshEvent.model(
                                now(),
                                pin ? MeshEvent.Kind.PINNED : MeshEvent.Kind.UNPINNED,
                                link.nodeId(),
                                "",
                                model,
                                0,
                                0,
                                0,
                                MeshEvent.ACTOR_ADMIN,
                                ""));
                    }
                    sync();
                });
    }

    /** Flags or clears a node as draining cluster-wide, and records it. */
    public Future<Boolean> setDraining(String nodeId, boolean drain) {
        return Future.fromCompletionStage(
                        link.cluster().operators().setDraining(nodeId, drain), vertx.getOrCreateContext())
                .onSuccess(changed -> {
                    if (changed) {
                        record(MeshEvent.node(
                                now(),
                                drain ? MeshEvent.Kind.DRAIN : MeshEvent.Kind.UNDRAIN,
                                nodeId,
                                MeshEvent.ACTOR_ADMIN,
                                drain ? "copies move elsewhere; takes no new copies" : "takes new copies again"));
                    }
                    link.drainingChanged();
                });
    }

    /** Appends to the shared timeline; a failure is logged, never thrown (events are for observers). */
    public void record(MeshEvent event) {
        if (closed) {
            return;
        }
        link.cluster().operators().events().append(event).whenComplete((seq, t) -> {
            if (t != null && !closed) {
                LOG.debug("timeline: could not record {}: {}", event.kind(), t.toString());
            }
        });
    }

    @Override
    public void on(PoolEvent event) {
        String model = event.key().model();
        long version = event.key().version();
        String node = link.nodeId();
        if (event instanceof PoolEvent.Loaded l) {
            record(MeshEvent.model(
                    now(),
                    MeshEvent.Kind.LOADED,
                    node,
                    l.deviceId(),
                    model,
                    version,
                    l.measuredBytes(),
                    l.loadNanos() / 1_000_000L,
                    MeshEvent.ACTOR_MESH,
                    "predicted " + l.predictedBytes() + " bytes"));
        } else if (event instanceof PoolEvent.LoadFailed f) {
            record(MeshEvent.model(
                    now(),
                    MeshEvent.Kind.LOAD_FAILED,
                    node,
                    f.deviceId(),
                    model,
                    version,
                    0,
                    f.nanos() / 1_000_000L,
                    MeshEvent.ACTOR_MESH,
                    f.kind().name().toLowerCase(Locale.ROOT) + ": " + f.reason()));
        } else if (event instanceof PoolEvent.Evicted e) {
            record(MeshEvent.model(
                    now(),
                    MeshEvent.Kind.EVICTED,
                    node,
                    e.deviceId(),
                    model,
                    version,
                    e.bytes(),
                    0,
                    MeshEvent.ACTOR_MESH,
                    "for " + e.forKey().model() + " v" + e.forKey().version()));
        } else if (event instanceof PoolEvent.Unloaded u) {
            record(MeshEvent.model(
                    now(),
                    MeshEvent.Kind.UNLOADED,
                    node,
                    u.deviceId(),
                    model,
                    version,
                    u.bytes(),
                    0,
                    MeshEvent.ACTOR_MESH,
                    ""));
        }
    }

    /** Re-reads the runtime pins and applies them (and config pins) to this node's residents. */
    private void sync() {
        if (closed || !syncing.compareAndSet(false, true)) {
            return;
        }
        link.cluster().operators().pinned().whenComplete((set, t) -> {
            syncing.set(false);
            if (t != null) {
                return;
            }
            pinned = Set.copyOf(set);
            apply();
        });
    }

    private void apply() {
        DevicePool p = pool;
        ModelManager m = models;
        if (p == null || m == null || closed) {
            return;
        }
        for (DeviceSnapshot d : p.snapshot()) {
            for (DeviceSnapshot.Resident r : d.residents()) {
                boolean want = pinned.contains(r.key().model())
                        || m.configPinned(r.key().model());
                if (r.pinned() != want && r.state() != DeviceSnapshot.State.UNLOADING) {
                    p.pin(r.key(), want);
                }
            }
        }
    }

    private boolean leader() {
        return link.isLeader();
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    public void stop() {
        closed = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        Subscription s = following;
        if (s != null) {
            s.cancel();
        }
    }

    /** Events of the mirror as a list, for tests. */
    List<Timeline.Entry<MeshEvent>> recent(int max) {
        return timeline.recent(max);
    }
}
