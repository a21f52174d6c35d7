package dev.modelmux.node.predlog;

/**
 * The node's prediction log: an append-only, segmented JSON-lines log written off the request
 * path by one writer thread.
 *
 * <p><b>Files.</b> {@code predictions-<startMillis>-<seq>.jsonl} in the log's directory, names
 * sorting in time order; the segment being written carries a further {@code .open} suffix until
 * it is closed (by size, by age, or on close), so a reader takes the {@code .jsonl} files as
 * complete. A segment is closed with an fsync; the open one is flushed to the OS every second.
 * Closed segments older than the retention are deleted.
 */
public interface PredictionLog extends AutoCloseable {

    /**
     * Queues a record for the writer. Never blocks: when the bounded buffer is full (or the log is
     * closed) it returns {@code false} and counts the record as dropped
     * ({@code modelmux_prediction_log_dropped_total}).
     */
    boolean append(PredictionRecord r);

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
