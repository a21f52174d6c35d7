package dev.modelmux.cluster;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Small versioned text documents shared cluster-wide, by name (the tenant policy, later traffic
 * policies). Every write is conditional on the version it replaces (optimistic concurrency), so
 * two writers racing from any nodes never lose an update silently: exactly one of them wins and the
 * other gets a {@link DocumentWrite.Conflict} with the current version, re-reads and decides.
 *
 * <p><b>Consistency.</b> A write is an entry processor on the partition that owns the name, acknowledged
 * once its synchronous backup has it. As the rest of the cluster's state, documents are AP: they
 * live in the members' memory (gone when every member stops), and after a split brain heals the
 * higher version wins (on a tie, the later write), so a write on the losing side is dropped.
 *
 * <p>Every method runs its Hazelcast call on the executor the cluster was joined with and never
 * blocks the caller; invalid arguments fail the returned future with {@link IllegalArgumentException}.
 */
public interface SharedDocuments {

    /** Largest {@link SharedDocument#text() text}, in UTF-8 bytes. */
    int MAX_TEXT_BYTES = 1 << 20;

    /** The current version of a document; empty if it was never written. */
    CompletableFuture<Optional<SharedDocument>> get(String name);

    /**
     * Writes {@code text} as the next version if the document is at {@code expectedVersion} now
     * ({@code 0}: only if it does not exist yet, which makes the new one version 1). Otherwise
     * writes nothing and returns the {@link DocumentWrite.Conflict conflict} with what is there.
     *
     * @param note a word on the write, kept with the version (e.g. where the text came from)
     */
    CompletableFuture<DocumentWrite> compareAndSet(String name, long expectedVersion, String text, String note);

    /** Writes version 1 unless the document exists: {@link #compareAndSet} with version 0. */
    default CompletableFuture<DocumentWrite> createIfAbsent(String name, String text, String note) {
        return compareAndSet(name, 0, text, note);
    }

    /**
     * Calls {@code listener} with every version of {@code name} written after the returned future
     * completes, on every node that listens (the writer's own included), in version order, on a
     * Hazelcast event thread: keep it short and hand the document to your own executor. A version
     * merged in after a split brain heals is delivered too (it may repeat a version number with
     * other text). To miss nothing, subscribe first, then {@link #get} the current version.
     * Hazelcast's events are best effort (one can be lost when a member crashes), so a follower
     * that must converge also re-reads now and then.
     */
    CompletableFuture<Subscription> listen(String name, Consumer<SharedDocument> listener);
}
