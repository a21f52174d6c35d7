package dev.modelmux.admission.sched;

import java.util.HashMap;
import java.util.Map;

/**
 * The timers of a {@link DeviceQueue}: one per millisecond bucket of deadlines (a burst of requests
 * with deadlines costs a handful of timers, and an expiry is answered at most a millisecond late),
 * and one for the earliest time a batch planner wants to be planned again (moved earlier when an
 * earlier time comes, never later). Guarded by the queue's monitor; the tasks themselves take it
 * when they run.
 */
final class Wakeups {
    static final long TICK_NANOS = 1_000_000L;

    private final WakeTimer timer;
    private final Object monitor;
    private final Runnable wake;
    private final Map<Long, WakeTimer.Cancellable> deadlines = new HashMap<>();
    private long plannerDue = Long.MAX_VALUE;
    private WakeTimer.Cancellable plannerTask;

    Wakeups(WakeTimer timer, Object monitor, Runnable wake) {
        this.timer = timer;
        this.monitor = monitor;
        this.wake = wake;
    }

    /** Makes sure the queue wakes within a millisecond after {@code deadlineNanos}. */
    void deadline(long deadlineNanos, long nowNanos) {
        if (deadlineNanos == Long.MAX_VALUE) {
            return;
        }
        long bucket = (Math.floorDiv(deadlineNanos, TICK_NANOS) + 1) * TICK_NANOS;
        if (!deadlines.containsKey(bucket)) {
            deadlines.put(bucket, timer.schedule(bucket - nowNanos, () -> deadlineDue(bucket)));
        }
    }

    /** Makes sure the queue wakes at {@code dueNanos} for its planners (MAX_VALUE: no need). */
    void planners(long dueNanos, long nowNanos) {
        if (dueNanos == Long.MAX_VALUE || dueNanos >= plannerDue) {
            return;
        }
        if (plannerTask != null) {
            plannerTask.cancel();
        }
        plannerDue = dueNanos;
        plannerTask = timer.schedule(dueNanos - nowNanos, () -> plannerDue(dueNanos));
    }

    /** Timers scheduled and not yet run (for tests). */
    int pending() {
        return deadlines.size() + (plannerTask == null ? 0 : 1);
    }

    void cancelAll() {
        deadlines.values().forEach(WakeTimer.Cancellable::cancel);
        deadlines.clear();
        if (plannerTask != null) {
            plannerTask.cancel();
            plannerTask = null;
        }
        plannerDue = Long.MAX_VALUE;
    }

    private void deadlineDue(long bucket) {
        synchronized (monitor) {
            deadlines.remove(bucket);
        }
        wake.run();
    }

    private void plannerDue(long due) {
        synchronized (monitor) {
            // A task that was cancelled as it started to run must not clear its successor.
            if (plannerDue == due) {
                plannerDue = Long.MAX_VALUE;
                plannerTask = null;
            }
        }
        wake.run();
    }
}
