package dev.modelmux.cluster;

import dev.modelmux.cluster.internal.HazelcastMeshCluster;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * This node's membership in the mesh and its handle on the shared state.
 *
 * <p><b>Threading.</b> Every call that talks to Hazelcast runs on the executor given to
 * {@link #join}, never on the caller's thread, and returns a {@link CompletableFuture} completed
 * there; callers on an event loop never block. Give it a bounded pool of its own (Hazelcast calls
 * block for a network round trip).
 *
 * <p><b>Leaving.</b> When a member leaves, every survivor removes its node record and, unless
 * another live member carries the same node id (a restarted node), all its copies from the
 * placement table; these removals are idempotent. A node should therefore, right after joining,
 * {@link NodeRegistry#publish publish} its record and {@link PlacementTable#reassert reassert}
 * what it holds (nothing, after a restart), and repeat both periodically.
 */
public interface MeshCluster {

    /** Starts a Hazelcast member, joins the cluster, and completes once joined. */
    static CompletableFuture<MeshCluster> join(ClusterConfig config, Executor executor) {
        return join(config, executor, System::currentTimeMillis);
    }

    /** As {@link #join(ClusterConfig, Executor)}, with the wall clock (epoch millis) passed in. */
    static CompletableFuture<MeshCluster> join(ClusterConfig config, Executor executor, LongSupplier clockMillis) {
        return HazelcastMeshCluster.start(config, executor, clockMillis);
    }

    String localNodeId();

    /** Node ids of the current members, this node included. Local; does not block. */
    Set<String> members();

    /**
     * Calls {@code listener} on membership changes, in order, on a Hazelcast event thread (keep it
     * short and non-blocking). Local; does not block.
     */
    Subscription onMembership(Consumer<MemberEvent> listener);

    /** The port this member's cluster endpoint listens on (the one chosen when configured as 0). */
    int memberPort();

    NodeRegistry nodes();

    ModelCatalog catalog();

    PlacementTable placements();

    /** Operators' settings (draining nodes, runtime pins) and the mesh's event timeline. */
    OperatorState operators();

    /** Small versioned documents shared cluster-wide (tenant and traffic policies). */
    SharedDocuments documents();

    /** The mesh's embedded feature store, its calls on this cluster's executor. */
    FeatureTable features();

    /**
     * The same feature store with its calls on {@code executor}: keeps request-path lookups from
     * queueing behind (or delaying) the cluster's own bookkeeping.
     */
    FeatureTable features(Executor executor);

    /**
     * What this member refused because it was not written by a holder of the cluster secret: shared
     * entries (and entry processors) whose tag did not verify, or that could not be read at all (a
     * value the serialization filter refused, an unknown type), treated as absent. By label, every
     * label present: {@code nodes}, {@code placements}, {@code documents}, {@code drains}, {@code
     * pins}, {@code catalog}, {@code features}, {@code events}, {@code operations}. Counts only grow;
     * each refused key is also logged once. Local; does not block.
     */
    Map<String, Long> forgedEntries();

    /**
     * Leaves gracefully: this member's partitions migrate to the others before it stops, so no
     * shared state is lost. Idempotent.
     */
    CompletableFuture<Void> close();

    /**
     * Stops this member at once without leaving, as {@code kill -9} would: the others detect the
     * loss and clean up after it. For failure tests in one JVM. Idempotent.
     */
    void crash();
}
