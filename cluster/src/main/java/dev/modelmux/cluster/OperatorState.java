package dev.modelmux.cluster;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * What operators decided, shared cluster-wide so it outlives the node that was asked and the
 * leader honours it: which nodes are draining (take no new copies, their copies move elsewhere)
 * and which models are pinned at runtime (never evicted, always kept somewhere); plus the
 * mesh's event timeline. Settings persist until cleared, also across a node's restart.
 *
 * <p>Every method runs its Hazelcast call on the executor the cluster was joined with.
 */
public interface OperatorState {

    /** Flags or clears a node as draining; completes with whether this changed anything. */
    CompletableFuture<Boolean> setDraining(String nodeId, boolean draining);

    /** Ids of the nodes flagged draining (they need not be members). */
    CompletableFuture<Set<String>> draining();

    /** Pins or unpins a model (every version) at runtime; completes with whether this changed anything. */
    CompletableFuture<Boolean> setPinned(String model, boolean pinned);

    /** Names of the models pinned at runtime (config.pbtxt pins are not listed here). */
    CompletableFuture<Set<String>> pinned();

    EventLog events();
}
