package dev.modelmux.node.internal;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.MemberEvent;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.PoolEvent;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's membership of the mesh: joins the Hazelcast cluster, publishes the node's record
 * (gRPC address, devices, load) and re-asserts the copies it really holds, every second and
 * right after each load, eviction or unload, so the shared table converges on the truth even
 * after lost updates or a healed partition. Reads for routing go through a cached view of the
 * other nodes' records. Every Hazelcast call runs on this link's own threads.
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

  private ClusterLink(Vertx vertx, MeshCluster cluster, ExecutorService executor) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.cluster = cluster;
    this.executor = executor;
  }

  /** Joins the mesh; completes once this node is a member. */
  public static Future<ClusterLink> join(Vertx vertx, ClusterConfig config) {
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
    timer = vertx.setPeriodic(0, REFRESH_MS, id -> refresh());
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

  /** The copies of one model version, read from the shared table now. */
  public Future<List<Copy>> copies(String model, long version) {
    return Future.fromCompletionStage(cluster.placements().copies(ModelKey.of(model, version)), vertx.getOrCreateContext());
  }

  /** Claims the first load of a version cluster-wide; true for exactly one caller while no copy exists. */
  public Future<Boolean> claimFirstLoad(String model, long version, String nodeId, String deviceId, long predictedBytes) {
    return Future.fromCompletionStage(cluster.placements().claimFirstLoad(ModelKey.of(model, version), nodeId, deviceId,
        predictedBytes), vertx.getOrCreateContext());
  }

  @Override
  public void on(PoolEvent event) {
    // Report the change now rather than at the next tick; coalesced if one is running.
    dirty.set(true);
    context.runOnContext(v -> refresh());
  }

  /** Publishes this node's record, re-asserts its copies and re-reads the other nodes' records. */
  private void refresh() {
    DevicePool p = pool;
    if (p == null || !publishing.compareAndSet(false, true)) {
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
          case READY -> Copy.ready(nodeId(), d.spec().id(), r.bytes(), now, 0, now);
          case UNLOADING -> null;
        };
        if (c != null) {
          held.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
        }
      }
      devices.add(new DeviceRecord(d.spec().id(), d.spec().kind().name().toLowerCase(Locale.ROOT), d.spec().capacityBytes(),
          d.usedBytes(), d.reservedBytes(), inFlight));
    }
    NodeRecord self = new NodeRecord(nodeId(), grpcHost, grpcPort, devices, false, now);
    cluster.nodes().publish(self)
        .thenCompose(v -> cluster.placements().reassert(nodeId(), held, now))
        .thenCompose(v -> cluster.nodes().all())
        .whenComplete((all, t) -> {
          if (t != null) {
            LOG.warn("mesh: publishing this node's state failed: {}", t.getMessage());
          } else {
            Map<String, NodeRecord> live = new HashMap<>(all);
            live.keySet().retainAll(cluster.members());
            nodes = Map.copyOf(live);
          }
          publishing.set(false);
          if (dirty.get()) {
            context.runOnContext(v -> refresh());
          }
        });
  }

  /** Leaves the mesh gracefully. */
  public Future<Void> close() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return Future.fromCompletionStage(cluster.close(), vertx.getOrCreateContext())
        .eventually(() -> {
          executor.shutdown();
          return Future.succeededFuture();
        });
  }
}
