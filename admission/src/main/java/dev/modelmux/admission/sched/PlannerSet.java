package dev.modelmux.admission.sched;

import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The batching half of a {@link DeviceQueue}: one {@link BatchPlanner} per model version with
 * requests gathering, and how many of its batches are out (formed and not finished), capped at the
 * version's instance count so each model instance runs one batch at a time. Guarded by the queue's
 * monitor; not thread-safe on its own.
 *
 * <p>Invariant: every request in a planner is in {@link #planned} under its planner id, and leaves
 * both together (in a batch, or handed to {@code onExpired}).
 */
final class PlannerSet<M, J> {
    private final DeviceQueue<M, J> queue;
    private final BiConsumer<QueueEntry<M, J>, Expiry> onExpired;
    private final Map<M, BatchPlanner> planners = new HashMap<>();
    private final Map<Long, QueueEntry<M, J>> planned = new HashMap<>();
    private final Map<M, Integer> out = new HashMap<>();
    /** The instance count of each version with a planner or a batch out (its latest request's policy). */
    private final Map<M, Integer> instances = new HashMap<>();

    private final Set<M> unbatchable = new HashSet<>();
    private long nextId;

    PlannerSet(DeviceQueue<M, J> queue, BiConsumer<QueueEntry<M, J>, Expiry> onExpired) {
        this.queue = queue;
        this.onExpired = onExpired;
    }

    /** Whether this request gathers in a planner rather than running alone. */
    boolean batches(QueueEntry<M, J> e) {
        return e.request.batching() != null && !unbatchable.contains(e.model());
    }

    /** Requests of {@code model} run one by one from now on; false if they already did. */
    boolean markUnbatchable(M model) {
        return unbatchable.add(model);
    }

    /** Requests waiting in planners. */
    int planned() {
        return planned.size();
    }

    boolean isEmpty() {
        return planners.isEmpty();
    }

    /**
     * Adds a request to its model's planner; when that planner may hold a full batch and an instance
     * is free, plans it into {@code runnable}. A request the planner refuses goes to {@code onExpired}.
     */
    void add(QueueEntry<M, J> e, long now, Deque<WorkUnit<M, J>> runnable) {
        BatchPolicy policy = e.request.batching();
        BatchPlanner planner = planners.computeIfAbsent(e.model(), k -> BatchPlanner.create(policy.planner()));
        instances.put(e.model(), policy.instances());
        long id = nextId++;
        BatchPlanner.AddResult added = planner.add(
                new BatchPlanner.Request(
                        id,
                        e.request.rows(),
                        e.request.stackKey(),
                        e.enqueuedNanos,
                        e.deadlineNanos,
                        e.request.priorityLevel()),
                now);
        if (!added.accepted()) {
            // The request's size and the planner's unbounded queue were checked on submission, and the fair
            // queue returns no expired request, so this is a deadline passing just now.
            onExpired.accept(e, Expiry.DEADLINE_EXCEEDED);
            dropIfIdle(e.model(), planner);
            return;
        }
        planned.put(id, e);
        // Plan only once a full batch may be waiting: requests that already waited longer than the batch
        // delay (under load, in the fair queue) would otherwise leave one by one.
        if (planner.pending() >= policy.planner().maxBatchSize() && free(e.model()) > 0) {
            plan(e.model(), planner, now, runnable);
        }
    }

    /** Plans every model with a free instance into {@code runnable}. */
    void planAll(long now, Deque<WorkUnit<M, J>> runnable) {
        for (var e : List.copyOf(planners.entrySet())) {
            if (free(e.getKey()) > 0) {
                plan(e.getKey(), e.getValue(), now, runnable);
            }
        }
    }

    /** When a planner of a model with a free instance wants to be planned again; MAX_VALUE: never. */
    long nextWake() {
        long due = Long.MAX_VALUE;
        for (var e : planners.entrySet()) {
            if (free(e.getKey()) > 0) {
                due = Math.min(due, e.getValue().nextWakeNanos());
            }
        }
        return due;
    }

    /** Answers the planned requests whose deadline or timeout passed, whether or not an instance is free. */
    void expire(long now) {
        for (var e : List.copyOf(planners.entrySet())) {
            rejected(e.getValue().expire(now));
            dropIfIdle(e.getKey(), e.getValue());
        }
    }

    /** A batch of {@code model} finished (or was dropped before it started): its instance is free. */
    void batchDone(M model) {
        out.computeIfPresent(model, (k, n) -> n <= 1 ? null : n - 1);
        if (!planners.containsKey(model) && !out.containsKey(model)) {
            instances.remove(model);
        }
    }

    /** Removes every planned request, handing each to {@code onExpired} as CLOSED. */
    void clear() {
        for (BatchPlanner p : planners.values()) {
            for (BatchPlanner.Request r : p.clear()) {
                onExpired.accept(planned.remove(r.id()), Expiry.CLOSED);
            }
        }
        planners.clear();
    }

    private int free(M model) {
        return instances.getOrDefault(model, 1) - out.getOrDefault(model, 0);
    }

    private void plan(M model, BatchPlanner planner, long now, Deque<WorkUnit<M, J>> runnable) {
        BatchPlanner.Plan plan = planner.plan(now, free(model));
        rejected(plan.rejected());
        for (BatchPlanner.Batch b : plan.batches()) {
            List<QueueEntry<M, J>> members = new ArrayList<>(b.members().size());
            for (BatchPlanner.Request r : b.members()) {
                members.add(planned.remove(r.id()));
            }
            runnable.addLast(new WorkUnit<>(queue, model, members, b.split(), true));
            out.merge(model, 1, Integer::sum);
        }
        dropIfIdle(model, planner);
    }

    private void rejected(List<BatchPlanner.Rejected> rejected) {
        // Only deadlines reject here: a REJECT queue timeout is folded into the deadline (BatchPolicy).
        for (BatchPlanner.Rejected r : rejected) {
            onExpired.accept(planned.remove(r.request().id()), Expiry.DEADLINE_EXCEEDED);
        }
    }

    private void dropIfIdle(M model, BatchPlanner planner) {
        if (planner.pending() == 0 && planners.get(model) == planner) {
            planners.remove(model);
            if (!out.containsKey(model)) {
                instances.remove(model);
            }
        }
    }
}
