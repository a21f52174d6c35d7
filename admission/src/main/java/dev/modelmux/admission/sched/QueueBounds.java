package dev.modelmux.admission.sched;

import dev.modelmux.admission.Priority;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The bounds a {@link DeviceQueue} enforces on arrival, and the counts they need: requests per
 * tenant and per model that have not started (in the fair queue, a planner or a formed unit).
 * Guarded by the queue's monitor.
 *
 * <p>Invariant: a request is counted from {@link #entered} until {@link #left}, called exactly once
 * each for every accepted request.
 */
final class QueueBounds<M> {
    private final int maxQueued;
    private final Shedder shedder;
    private final Map<M, Integer> byModel = new HashMap<>();
    private final Map<String, Integer> byTenant = new HashMap<>();

    QueueBounds(int maxQueued, Shedder shedder) {
        this.maxQueued = maxQueued;
        this.shedder = shedder;
    }

    /**
     * Why {@code r} may not queue, or null when it may.
     *
     * @param depth requests waiting on the device
     * @param held whether the device's dispatch is paused (it counts as busy)
     * @param runNanos the recent run time of a unit (0 before the first)
     */
    Refused check(DeviceRequest<M, ?> r, int depth, int inFlight, int limit, boolean held, long runNanos) {
        Caller c = r.caller();
        long retry = retryAfterMillis(depth, limit, runNanos);
        int tenantDepth = byTenant.getOrDefault(c.tenantId(), 0);
        boolean busy = held || inFlight >= limit;
        // max_queued 0: the tenant's requests run at once or not at all.
        if (c.maxQueued() > 0 ? tenantDepth >= c.maxQueued() : (busy || depth > 0)) {
            return new Refused(Refusal.TENANT_QUEUE_FULL, tenantDepth, c.maxQueued(), retry);
        }
        int modelDepth = byModel.getOrDefault(r.model(), 0);
        if (r.batching() != null
                && r.batching().maxQueueSize() > 0
                && modelDepth >= r.batching().maxQueueSize()) {
            return new Refused(
                    Refusal.MODEL_QUEUE_FULL, modelDepth, r.batching().maxQueueSize(), retry);
        }
        if (c.priority() == Priority.SHEDDABLE
                && inFlight >= shedder.ceiling(Priority.SHEDDABLE, limit)
                && depth >= limit) {
            return new Refused(Refusal.SHED, depth, 0, retry);
        }
        if (c.priority() != Priority.CRITICAL && depth >= maxQueued) {
            return new Refused(Refusal.DEVICE_QUEUE_FULL, depth, maxQueued, retry);
        }
        return null;
    }

    void entered(DeviceRequest<M, ?> r) {
        byModel.merge(r.model(), 1, Integer::sum);
        byTenant.merge(r.caller().tenantId(), 1, Integer::sum);
    }

    void left(DeviceRequest<M, ?> r) {
        byModel.computeIfPresent(r.model(), (k, n) -> n <= 1 ? null : n - 1);
        byTenant.computeIfPresent(r.caller().tenantId(), (k, n) -> n <= 1 ? null : n - 1);
    }

    /** How long until the queue ahead has probably drained: its depth over the limit, times a run. */
    static long retryAfterMillis(int depth, int limit, long runNanos) {
        long run = Math.max(runNanos, 100_000);
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(run * (depth / Math.max(1, limit) + 1)));
    }
}
