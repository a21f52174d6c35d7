package dev.modelmux.cluster;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Every node's own description of itself, shared cluster-wide. A node writes only its own record,
 * so a plain write is safe (one writer per key); publish periodically so a record lost in a
 * split-brain merge comes back. When a member leaves, the survivors remove its record unless a
 * newer incarnation with the same node id has published since.
 *
 * <p>Every method runs its Hazelcast call on the executor the cluster was joined with.
 */
public interface NodeRegistry {

    /**
     * Publishes this node's record, replacing the previous one.
     *
     * @throws IllegalArgumentException (in the future) when {@code record.nodeId()} is not this node's id
     */
    CompletableFuture<Void> publish(NodeRecord record);

    CompletableFuture<Optional<NodeRecord>> get(String nodeId);

    /** All records, by node id. */
    CompletableFuture<Map<String, NodeRecord>> all();
}
