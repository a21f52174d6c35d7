package dev.modelmux.node.mesh;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.MemberEvent;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.PoolEvent;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership of the mesh: joins the Hazelcast cluster, publishes the node's record
 * (gRPC address, devices, load) and re-asserts the copies it really holds, every second and
 * right after each load, eviction or unload, so the shared table converges on the truth even
 * after lost updates or a healed partition. Reads for routing go through a cached view of the
 * other nodes' records. Every Hazelcast call runs on this link's own threads.
 *
 * <p>Trust: what this link reads from the cluster (node records, the placement table, drains) is
 * only what holders of the cluster secret wrote; the cluster module drops the rest. So routing,
 * forwarding (which carries the cluster secret) and {@link #isLeader leadership} consider only nodes
 * whose record verified, never a process that merely reached the cluster network.
 */
public final class ClusterLink implements PoolEvent.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterLink.class);
    private static final long REFRESH_MS = 1000;

    private final Vertx vertx;
    private final Context context;
    private final MeshCluster cluster;
    private final ExecutorService executor;
    private final AtomicBoolean publishing = new AtomicBoolean();
    private final AtomicBoolean dirty = new AtomicBoolean();
    private volatile DevicePool pool;
    private volatile String grpcHost;
    private volatile int grpcPort;
    private volatile Map<String, NodeRecord> nodes = Map.of();
    private long timer = -1;
    private volatile boolean closed;
    /** Requests served here per model version since start, and where the last report left them. */
    private final Map<ModelKey, LongAdder> served = new ConcurrentHashMap<>();

    private final Map<ModelKey, long[]> lastReport = new ConcurrentHashMap<>();
    /** A local copy of the placement table, fed by its change events and re-read every few seconds. */
    private final Map<ModelKey, List<Copy>> table = new ConcurrentHashMap<>();

    private volatile boolean tableLive;
    /** Nodes the operators flagged draining (shared, re-read with every refresh). */
    private volatile Set<String> draining = Set.of();

    private int ticks;

    private ClusterLink(Vertx vertx, MeshCluster cluster, ExecutorService executor) {
        this.vertx = vertx;
        this.context = vertx.getOrCreateContext();
        this.cluster = cluster;
        this.executor = executor;
    }

    /**
     * Joins the mesh with the cluster secret ({@code --cluster-secret}; empty for a node alone,
     * which then gets a random one); completes once this node is a member.
     */
    public static Future<ClusterLink> join(Vertx vertx, ClusterConfig config, Optional<String> secret) {
        return join(
                vertx, secret.map(s -> config.withSecret(ClusterSecret.of(s))).orElse(config));
    }

    private static Future<ClusterLink> join(Vertx vertx, ClusterConfig config) {
        ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "modelmux-cluster");
            t.setDaemon(true);
            return t;
        });
        return Future.fromCompletionStage(MeshCluster.join(config, executor), vertx.getOrCreateContext())
                .map(c -> new ClusterLink(vertx, c, executor))
                .onFailure(t -> executor.shutdownNow());
    }

    /** Starts publishing: the pool to report, and where forwarded requests reach this node. */
    public void start(DevicePool pool, String grpcHost, int grpcPort) {
        this.pool = pool;
        this.grpcHost = grpcHost;
        this.grpcPort = grpcPort;
        cluster.onMembership(e -> {
            if (e instanceof MemberEvent.Merged) {
                dirty.set(true);
            }
            LOG.info("mesh: {} {}", e.getClass().getSimpleName().toLowerCase(Locale.ROOT), e.nodeId());
            context.runOnContext(v -> refresh());
        });
        timer = vertx.setPeriodic(0, REFRESH_MS, id -> {
            refresh();
            if (++ticks % 5 == 0) {
                reloadTable();
            }
        });
        // Routing reads copies from a local table: subscribe first, then fill from a snapshot (an
        // event that arrives meanwhile is newer than the snapshot, so the snapshot never overwrites it).
        cluster.placements()
                .listen(e -> {
                    if (e.copies().isEmpty()) {
                        table.remove(e.key());
                    } else {
                        table.put(e.key(), e.copies());
                    }
                })
                .thenCompose(sub -> cluster.placements().snapshot())
                .whenComplete((snap, t) -> {
                    if (t == null) {
                        snap.forEach(table::putIfAbsent);
                        tableLive = true;
                    } else {
                        LOG.warn("mesh: cannot follow the placement table, reading it per request: {}", t.getMessage());
                    }
                });
    }

    /** Re-reads the whole table, in case an event was lost (Hazelcast's listeners are best effort). */
    private void reloadTable() {
        if (!tableLive || closed) {
            return;
        }
        cluster.placements().snapshot().whenComplete((snap, t) -> {
            if (t == null) {
                table.keySet().retainAll(snap.keySet());
                table.putAll(snap);
            }
        });
    }

    public String nodeId() {
        return cluster.localNodeId();
    }

    public MeshCluster cluster() {
        return cluster;
    }

    /** Other nodes' records as last read (at most about a second old). */
    public Map<String, NodeRecord> nodes() {
        return nodes;
    }

    public Optional<NodeRecord> node(String id) {
        return Optional.ofNullable(nodes.get(id));
    }

    /**
     * Whether this node leads the mesh (runs the controller, speaks for nodes that left): the
     * smallest id among the members whose node record verified (as of the last refresh). A process
     * that joins the cluster under any id, however small, has no such record and never leads.
     */
    public boolean isLeader() {
        return nodes.keySet().stream()
                .min(String::compareTo)
                .map(nodeId()::equals)
                .orElse(false);
    }

    /**
     * Registers {@code modelmux_cluster_forged_entries_total{map}}: shared entries (and entry
     * processors) this node refused because no holder of the cluster secret wrote them.
     */
    public void bindMetrics(MeterRegistry registry) {
        cluster.forgedEntries()
                .keySet()
                .forEach(map -> FunctionCounter.builder(
                                "modelmux_cluster_forged_entries_total",
                                cluster,
                                c -> c.forgedEntries().getOrDefault(map, 0L))
                        .description(
                                "Shared entries this node ignored because they carry no valid tag (not written by a "
                                        + "holder of the cluster secret), by map")
                        .tag("map", map)
                        .register(registry));
    }

    /** Whether the operators flagged {@code nodeId} draining (as of the last refresh). */
    public boolean isDraining(String nodeId) {
        return draining.contains(nodeId);
    }

    /** Re-reads the draining flags now (after an operator changed one) and republishes. */
    public void drainingChanged() {
        dirty.set(true);
        context.runOnContext(v -> refresh());
    }

    /** The local follower of the placement table (read-only; empty until it is up). */
    public Map<ModelKey, List<Copy>> table() {
        return Collections.unmodifiableMap(table);
    }

    /**
     * The copies of one model version, from the local follower of the table (milliseconds stale at
     * most, re-read every few seconds); read from the shared table itself until the follower is up.
     */
    public Future<List<Copy>> copies(String model, long version) {
        if (tableLive) {
            return Future.succeededFuture(table.getOrDefault(ModelKey.of(model, version), List.of()));
        }
        return copiesNow(model, version);
    }

    /** The copies of one model version, read from the shared table now. */
    public Future<List<Copy>> copiesNow(String model, long version) {
        return Future.fromCompletionStage(
                cluster.placements().copies(ModelKey.of(model, version)), vertx.getOrCreateContext());
    }

    /** Claims the first load of a version cluster-wide; true for exactly one caller while no copy exists. */
    public Future<Boolean> claimFirstLoad(
            String model, long version, String nodeId, String deviceId, long predictedBytes) {
        return Future.fromCompletionStage(
                cluster.placements().claimFirstLoad(ModelKey.of(model, version), nodeId, deviceId, predictedBytes),
                vertx.getOrCreateContext());
    }

    /**
     * The placement table now, sorted by model and version: the local follower's copy once it is up,
     * read from the shared table until then.
     */
    public Future<SortedMap<ModelKey, List<Copy>>> tableSnapshot() {
        Future<Map<ModelKey, List<Copy>>> source = tableLive
                ? Future.succeededFuture(this.table)
                : Future.fromCompletionStage(cluster.placements().snapshot(), vertx.getOrCreateContext());
        return source.map(TreeMap::new);
    }

    /** Counts a request served on this node (for the request rate and last use it reports). */
    public void recordUse(String model, long version) {
        served.computeIfAbsent(ModelKey.of(model, version), k -> new LongAdder())
                .increment();
    }

    /** Request rate since the last report, and when it was last used (epoch millis). */
    private double[] usage(ModelKey key, long nowMillis) {
        LongAdder a = served.get(key);
        long count = a == null ? 0 : a.sum();
        long[] last = lastReport.getOrDefault(key, new long[] {0, nowMillis, nowMillis});
        double seconds = Math.max(0.001, (nowMillis - last[1]) / 1000.0);
        double rate = (count - last[0]) / seconds;
        long lastUsed = count > last[0] ? nowMillis : last[2];
        lastReport.put(key, new long[] {count, nowMillis, lastUsed});
        return new double[] {rate, lastUsed};
    }

    @Override
    public void on(PoolEvent event) {
        if (event instanceof PoolEvent.Loaded l && !closed) {
            // The catalog keeps predicted and measured sizes apart; placement prefers the measured one.
            ModelKey key = ModelKey.of(l.key().model(), l.key().version());
            cluster.catalog()
                    .predict(key, l.predictedBytes())
                    .thenCompose(
                            e -> cluster.catalog().recordMeasured(key, l.measuredBytes(), l.loadNanos() / 1_000_000L))
                    .whenComplete((e, t) -> {
                        if (t != null && !closed) {
                            LOG.warn("mesh: recording the measured size of {} failed: {}", key, t.getMessage());
                        }
                    });
        }
        // Report the change now rather than at the next tick; coalesced if one is running.
        dirty.set(true);
        context.runOnContext(v -> refresh());
    }

    /** Publishes this node's record, re-asserts its copies and re-reads the other nodes' records. */
    private void refresh() {
        DevicePool p = pool;
        if (p == null || closed || !publishing.compareAndSet(false, true)) {
            return;
        }
        dirty.set(false);
        long now = System.currentTimeMillis();
        List<DeviceSnapshot> snapshot = p.snapshot();
        List<DeviceRecord> devices = new ArrayList<>();
        Map<ModelKey, List<Copy>> held = new HashMap<>();
        for (DeviceSnapshot d : snapshot) {
            int inFlight = 0;
            for (DeviceSnapshot.Resident r : d.residents()) {
                inFlight += r.inFlight();
                ModelKey key = ModelKey.of(r.key().model(), r.key().version());
                Copy c = switch (r.state()) {
                    case LOADING -> Copy.loading(nodeId(), d.spec().id(), r.bytes(), now);
                    case READY -> {
                        double[] use = usage(key, now);
                        yield Copy.ready(nodeId(), d.spec().id(), r.bytes(), (long) use[1], use[0], now);
                    }
                    case UNLOADING -> null;
                };
                if (c != null) {
                    held.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
                }
            }
            devices.add(new DeviceRecord(
                    d.spec().id(),
                    d.spec().kind().name().toLowerCase(Locale.ROOT),
                    d.spec().capacityBytes(),
                    d.usedBytes(),
                    d.reservedBytes(),
                    inFlight));
        }
        cluster.operators()
                .draining()
                .thenCompose(drains -> {
                    draining = Set.copyOf(drains);
                    return cluster.nodes()
                            .publish(new NodeRecord(
                                    nodeId(), grpcHost, grpcPort, devices, drains.contains(nodeId()), now));
                })
                .thenCompose(v -> cluster.placements().reassert(nodeId(), held, now))
                .thenCompose(v -> cluster.nodes().all())
                .whenComplete((all, t) -> {
                    if (t != null && !closed) {
                        LOG.warn("mesh: publishing this node's state failed: {}", t.getMessage());
                    } else {
                        Map<String, NodeRecord> live = new HashMap<>(all);
                        live.keySet().retainAll(cluster.members());
                        // The shared flag wins over a record published before the operator flagged the node.
                        live.replaceAll((id, n) -> n.draining() == draining.contains(id)
                                ? n
                                : new NodeRecord(
                                        n.nodeId(),
                                        n.grpcHost(),
                                        n.grpcPort(),
                                        n.devices(),
                                        draining.contains(id),
                                        n.updatedAtMillis()));
                        nodes = Map.copyOf(live);
                    }
                    publishing.set(false);
                    if (dirty.get() && !closed) {
                        context.runOnContext(v -> refresh());
                    }
                });
    }

    /** Stops publishing (the node is going away, gracefully or not). */
    public void stop() {
        closed = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Leaves the mesh gracefully. */
    public Future<Void> close() {
        stop();
        return Future.fromCompletionStage(cluster.close(), vertx.getOrCreateContext())
                .eventually(() -> {
                    executor.shutdown();
                    return Future.succeededFuture();
                });
    }
}
