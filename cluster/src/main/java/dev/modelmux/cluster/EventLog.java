package dev.modelmux.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The mesh's event timeline: one bounded log shared by every node (the oldest events are
 * overwritten once it is full), so any node shows every node's events. Appending never blocks
 * the caller; a full log overwrites rather than waits.
 */
public interface EventLog {

    /** How many events the log keeps. */
    int capacity();

    /** Appends an event; completes with its sequence number (callers usually ignore it). */
    CompletableFuture<Long> append(MeshEvent event);

    /** Up to {@code max} of the newest events, oldest first. */
    CompletableFuture<List<Sequenced>> recent(int max);

    /**
     * Calls {@code listener} with every event appended from now on, in sequence order, in batches,
     * on a Hazelcast thread (hand them to your own context). Events overwritten before they were
     * read are skipped. Cancel the subscription to stop.
     */
    Subscription follow(Consumer<List<Sequenced>> listener);
}
