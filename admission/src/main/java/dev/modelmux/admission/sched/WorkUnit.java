package dev.modelmux.admission.sched;

import dev.modelmux.admission.Priority;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Work a {@link DeviceQueue} starts on its device: one request, or a batch of requests of one model
 * version to be stacked along dimension 0 in {@link #jobs()} order and split back by {@link #split()}.
 * It holds one of the device's concurrency slots until its owner calls {@link #finished} (exactly
 * once, from any thread, after the last of its runs completed).
 *
 * @param <M> the model version key
 * @param <J> the job the owner attached to each request
 */
public final class WorkUnit<M, J> {
    private final DeviceQueue<M, J> queue;
    private final M model;
    private final List<QueueEntry<M, J>> entries;
    private final List<J> jobs;
    private final BatchSplit split;
    private final boolean batched;
    private final AtomicBoolean finished = new AtomicBoolean();
    // Set once at dispatch, under the queue's monitor, before the unit is handed out.
    private long dispatchedNanos;
    private int inFlightAtDispatch;

    WorkUnit(DeviceQueue<M, J> queue, M model, List<QueueEntry<M, J>> entries, BatchSplit split, boolean batched) {
        this.queue = queue;
        this.model = model;
        this.entries = List.copyOf(entries);
        this.jobs = this.entries.stream().map(e -> e.request.job()).toList();
        this.split = split;
        this.batched = batched;
    }

    static <M, J> WorkUnit<M, J> single(DeviceQueue<M, J> queue, QueueEntry<M, J> e) {
        return new WorkUnit<>(queue, e.model(), List.of(e), BatchSplit.of(e.request.rows()), false);
    }

    public M model() {
        return model;
    }

    /** The members' jobs, in stacking order. */
    public List<J> jobs() {
        return jobs;
    }

    public int size() {
        return entries.size();
    }

    /** Whether a batch planner formed it: its model batches (even when it holds a single request). */
    public boolean batched() {
        return batched;
    }

    /** Each member's rows along dimension 0. */
    public BatchSplit split() {
        return split;
    }

    /** How long member {@code i} waited in the queue before this unit started. */
    public long waitedNanos(int member) {
        return dispatchedNanos - entries.get(member).enqueuedNanos;
    }

    /**
     * Member {@code i}'s own deadline ({@code Long.MAX_VALUE}: none), which bounds its run. The
     * model's REJECT queue timeout bounded only its wait in the queue.
     */
    public long runDeadlineNanos(int member) {
        return entries.get(member).request.deadlineNanos();
    }

    /** The latest of the members' own deadlines: how long a run of the whole unit may take. */
    public long runDeadlineNanos() {
        long d = Long.MIN_VALUE;
        for (QueueEntry<M, J> e : entries) {
            d = Math.max(d, e.request.deadlineNanos());
        }
        return d;
    }

    /** The highest priority among the members: the unit may use that priority's share of the limit. */
    Priority priority() {
        Priority p = Priority.SHEDDABLE;
        for (QueueEntry<M, J> e : entries) {
            if (e.request.caller().priority().ordinal() > p.ordinal()) {
                p = e.request.caller().priority();
            }
        }
        return p;
    }

    List<QueueEntry<M, J>> entries() {
        return entries;
    }

    boolean allExpired(long nowNanos) {
        return entries.stream().allMatch(e -> e.expired(nowNanos));
    }

    void dispatched(long nowNanos, int inFlight) {
        this.dispatchedNanos = nowNanos;
        this.inFlightAtDispatch = inFlight;
    }

    long dispatchedNanos() {
        return dispatchedNanos;
    }

    int inFlightAtDispatch() {
        return inFlightAtDispatch;
    }

    /**
     * Frees the unit's slot and teaches the concurrency limit its run time; waiting work may start
     * on the calling thread before this returns.
     *
     * @param overloaded whether the device dropped or timed out the run (the limit backs off)
     * @throws IllegalStateException when called twice
     */
    public void finished(boolean overloaded) {
        if (!finished.compareAndSet(false, true)) {
            throw new IllegalStateException("unit of " + model + " reported finished twice");
        }
        queue.finished(this, overloaded, true);
    }

    /**
     * Frees the unit's slot without running it (everybody waiting for it has gone): the concurrency
     * limit learns nothing from it.
     *
     * @throws IllegalStateException when called twice, or after {@link #finished}
     */
    public void dropped() {
        if (!finished.compareAndSet(false, true)) {
            throw new IllegalStateException("unit of " + model + " reported finished twice");
        }
        queue.finished(this, false, false);
    }

    @Override
    public String toString() {
        return "WorkUnit[" + model + " x" + entries.size() + ", rows " + split.totalRows() + "]";
    }
}
