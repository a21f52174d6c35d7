package dev.modelmux.cluster.internal;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.ListenerConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.LifecycleListener;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.cluster.FeatureTable;
import dev.modelmux.cluster.MemberEvent;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.cluster.ModelCatalog;
import dev.modelmux.cluster.NodeRegistry;
import dev.modelmux.cluster.OperatorState;
import dev.modelmux.cluster.PlacementTable;
import dev.modelmux.cluster.SharedDocuments;
import dev.modelmux.cluster.Subscription;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link MeshCluster} on an embedded Hazelcast member. Owns the member's lifecycle, turns
 * membership into {@link MemberEvent}s and cleans up after departed members. Joins the Hazelcast
 * cluster whose name is derived from the secret, and tags and verifies every shared entry with the
 * key derived from it ({@link ClusterKeys}, {@link EntryTags}).
 */
public final class HazelcastMeshCluster implements MeshCluster {

    private static final Logger LOG = LoggerFactory.getLogger(HazelcastMeshCluster.class);

    private final ClusterConfig config;
    private final HazelcastInstance hazelcast;
    private final Executor executor;
    private final HazelcastNodeRegistry nodes;
    private final HazelcastModelCatalog catalog;
    private final HazelcastPlacementTable placements;
    private final HazelcastOperatorState operators;
    private final HazelcastSharedDocuments documents;
    private final LongSupplier clockMillis;
    private final FeatureTable features;
    private final EntryTags tags;
    private final List<Consumer<MemberEvent>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private final Set<CompletableFuture<?>> cleanups = ConcurrentHashMap.newKeySet();

    private HazelcastMeshCluster(
            ClusterConfig config,
            HazelcastInstance hazelcast,
            Executor executor,
            LongSupplier clockMillis,
            EntryTags tags) {
        this.config = config;
        this.hazelcast = hazelcast;
        this.executor = executor;
        this.tags = tags;
        this.nodes = new HazelcastNodeRegistry(
                hazelcast.getMap(HazelcastConfigs.NODES_MAP),
                config.nodeId(),
                () -> hazelcast.getCluster().getLocalMember().getUuid().toString(),
                executor,
                tags);
        this.catalog = new HazelcastModelCatalog(hazelcast.getMap(HazelcastConfigs.CATALOG_MAP), executor, tags);
        this.placements = new HazelcastPlacementTable(
                hazelcast.getMap(HazelcastConfigs.PLACEMENTS_MAP), executor, clockMillis, tags);
        this.operators = new HazelcastOperatorState(hazelcast, executor, clockMillis, tags);
        this.documents = new HazelcastSharedDocuments(
                hazelcast.getMap(HazelcastConfigs.DOCUMENTS_MAP), config.nodeId(), executor, clockMillis, tags);
        this.clockMillis = clockMillis;
        this.features = features(executor);
    }

    /**
     * Starts the member. A config that joins others must carry the secret; one that runs alone
     * without it gets a random one (so nothing can join it).
     */
    public static CompletableFuture<MeshCluster> start(
            ClusterConfig config, Executor executor, LongSupplier clockMillis) {
        if (config.joinsOthers() && config.secret().isEmpty()) {
            return Async.failed(new IllegalArgumentException(
                    "cluster-secret: required to join other members (peers or Kubernetes discovery), the same on "
                            + "every node"));
        }
        ClusterConfig effective = config.secret().isPresent() ? config : config.withSecret(ClusterSecret.random());
        ClusterSecret secret = effective.secret().orElseThrow();
        EntryTags tags = new EntryTags(ClusterKeys.tagKey(secret, effective.clusterName()), new Forgeries());
        Events events = new Events();
        Config hazelcastConfig = HazelcastConfigs.build(effective, tags);
        hazelcastConfig.addListenerConfig(new ListenerConfig(events));
        return Async.call(executor, () -> {
            HazelcastInstance instance = Hazelcast.newHazelcastInstance(hazelcastConfig);
            HazelcastMeshCluster cluster = new HazelcastMeshCluster(effective, instance, executor, clockMillis, tags);
            cluster.warnIfNodeIdTaken();
            events.attach(cluster);
            LOG.info(
                    "node {} joined cluster '{}' at {} with members {}",
                    config.nodeId(),
                    config.clusterName(),
                    instance.getCluster().getLocalMember().getAddress(),
                    cluster.members());
            return cluster;
        });
    }

    /** Completes when the departure cleanups started so far have finished (tests, diagnostics). */
    public CompletableFuture<Void> cleanupsDone() {
        return CompletableFuture.allOf(cleanups.toArray(CompletableFuture[]::new))
                .handle((ok, error) -> null);
    }

    /** The embedded member, for tests and diagnostics. */
    @Override
    public int memberPort() {
        return hazelcast().getCluster().getLocalMember().getAddress().getPort();
    }

    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    @Override
    public String localNodeId() {
        return config.nodeId();
    }

    @Override
    public Set<String> members() {
        Set<String> ids = new TreeSet<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String id = m.getAttribute(HazelcastConfigs.NODE_ID_ATTRIBUTE);
            if (id != null) {
                ids.add(id);
            }
        }
        return Collections.unmodifiableSet(ids);
    }

    @Override
    public Subscription onMembership(Consumer<MemberEvent> listener) {
        listeners.add(listener);
        return () -> {
            listeners.remove(listener);
            return CompletableFuture.completedFuture(null);
        };
    }

    @Override
    public NodeRegistry nodes() {
        return nodes;
    }

    @Override
    public ModelCatalog catalog() {
        return catalog;
    }

    @Override
    public PlacementTable placements() {
        return placements;
    }

    @Override
    public OperatorState operators() {
        return operators;
    }

    @Override
    public SharedDocuments documents() {
        return documents;
    }

    @Override
    public FeatureTable features() {
        return features;
    }

    @Override
    public FeatureTable features(Executor executor) {
        return new HazelcastFeatureTable(hazelcast.getMap(HazelcastConfigs.FEATURES_MAP), executor, clockMillis, tags);
    }

    @Override
    public Map<String, Long> forgedEntries() {
        return tags.forgeries().counts();
    }

    @Override
    public void crash() {
        closing.set(true);
        hazelcast.getLifecycleService().terminate();
        closed.complete(null);
    }

    @Override
    public CompletableFuture<Void> close() {
        if (closing.compareAndSet(false, true)) {
            Async.run(executor, () -> hazelcast.getLifecycleService().shutdown())
                    .whenComplete((ok, error) -> {
                        if (error == null) {
                            closed.complete(null);
                        } else {
                            closed.completeExceptionally(error);
                        }
                    });
        }
        return closed;
    }

    private void warnIfNodeIdTaken() {
        Member self = hazelcast.getCluster().getLocalMember();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (!m.localMember() && config.nodeId().equals(m.getAttribute(HazelcastConfigs.NODE_ID_ATTRIBUTE))) {
                // Either a restart before the old process was detected as gone (it will leave
                // shortly), or two nodes configured with one id (fix --node-id).
                LOG.warn(
                        "node id {} is also carried by member {} (this member is {}); if that is not an "
                                + "earlier run of this node, give each node its own --node-id",
                        config.nodeId(),
                        m,
                        self);
            }
        }
    }

    private void memberJoined(Member member) {
        String nodeId = member.getAttribute(HazelcastConfigs.NODE_ID_ATTRIBUTE);
        if (nodeId != null) {
            publish(new MemberEvent.Joined(nodeId));
        }
    }

    private void memberLeft(Member member) {
        String nodeId = member.getAttribute(HazelcastConfigs.NODE_ID_ATTRIBUTE);
        if (nodeId == null) {
            return;
        }
        boolean restarted = members().contains(nodeId);
        // Only the departed member's own record goes: a restarted run may have published its record
        // before this member saw it join. A live member with the same id is a restarted node: leave
        // the copies to its reassert, which replaces whatever its earlier run left.
        CompletableFuture<Void> cleanup = nodes.removeDeparted(
                        nodeId, member.getUuid().toString())
                .thenCompose(
                        removed -> restarted ? CompletableFuture.completedFuture(null) : placements.removeNode(nodeId));
        cleanups.add(cleanup);
        cleanup.whenComplete((ok, error) -> {
            cleanups.remove(cleanup);
            if (error != null && hazelcast.getLifecycleService().isRunning()) {
                LOG.warn(
                        "cleanup after node {} left failed (the next reassert will repair): {}",
                        nodeId,
                        error.toString());
            }
        });
        publish(new MemberEvent.Left(nodeId));
    }

    private void merged() {
        LOG.warn("node {} merged into another cluster after a split brain; republishing", config.nodeId());
        nodes.republish();
        publish(new MemberEvent.Merged(config.nodeId()));
    }

    private void publish(MemberEvent event) {
        for (Consumer<MemberEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("membership listener failed on {}", event, e);
            }
        }
    }

    /**
     * Registered in the Hazelcast config so no event is missed while the member starts; events
     * before {@link #attach} are buffered and replayed.
     */
    private static final class Events implements MembershipListener, LifecycleListener {

        private final List<Consumer<HazelcastMeshCluster>> pending = new ArrayList<>();
        private HazelcastMeshCluster cluster;

        synchronized void attach(HazelcastMeshCluster target) {
            cluster = target;
            pending.forEach(p -> p.accept(target));
            pending.clear();
        }

        private synchronized void dispatch(Consumer<HazelcastMeshCluster> action) {
            if (cluster == null) {
                pending.add(action);
            } else {
                action.accept(cluster);
            }
        }

        @Override
        public void memberAdded(MembershipEvent event) {
            dispatch(c -> c.memberJoined(event.getMember()));
        }

        @Override
        public void memberRemoved(MembershipEvent event) {
            dispatch(c -> c.memberLeft(event.getMember()));
        }

        @Override
        public void stateChanged(LifecycleEvent event) {
            if (event.getState() == LifecycleEvent.LifecycleState.MERGED) {
                dispatch(HazelcastMeshCluster::merged);
            }
        }
    }
}
