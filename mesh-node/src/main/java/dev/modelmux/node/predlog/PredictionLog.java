package dev.modelmux.node.predlog;

import java.util.concurrent.CompletableFuture;

/**
 * The node's prediction log: an append-only, segmented JSON-lines log written off the request
 * path by one writer thread.
 *
 * <p><b>Files.</b> {@code predictions-<startMillis>-<seq>.jsonl} in the log's directory, names
 * sorting in time order; the segment being written carries a further {@code .open} suffix until
 * it is closed (by size, by age, or on close), so a reader takes the {@code .jsonl} files as
 * complete. A segment is closed with an fsync; the open one is written and fsynced as {@link
 * LogDurability} says. Closed segments older than the retention are deleted.
 */
public interface PredictionLog extends AutoCloseable {

    /**
     * Queues a record for the writer. Never blocks: when the bounded buffer is full (or the log is
     * closed) it returns {@code false} and counts the record as dropped
     * ({@code modelmux_prediction_log_dropped_total}).
     */
    boolean append(PredictionRecord r);

    /**
     * Queues a record and returns a future that completes once it is fsynced (group-committed with
     * whatever else is queued meanwhile), on the log's writer thread: hop back to the caller's
     * context before answering. It fails with a {@code ServingException}: RESOURCE_EXHAUSTED (the
     * buffer is full), INSUFFICIENT_STORAGE (the log cannot write: a full disk; a reason says
     * why) or UNAVAILABLE (the log is closed). Never blocks.
     */
    CompletableFuture<Void> appendDurable(PredictionRecord r);

    /** The node's durability setting ({@code log-durability}): what an endpoint without its own follows. */
    LogDurability durability();

    /** Records dropped so far (buffer full, or appended after close). */
    long dropped();

    /**
     * Writes and flushes everything appended before the call, closes the open segment (fsync,
     * rename), and stops the writer. Blocks until done: call it from a worker thread, never an
     * event loop. Later appends are dropped. Idempotent.
     */
    @Override
    void close();
}
