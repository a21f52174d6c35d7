package dev.modelmux.admission.sched;

/**
 * Runs a task after a delay, for a device queue's batch delays and deadlines. The queue schedules
 * from inside its monitor, so {@link #schedule} must return at once and never run the task on the
 * calling thread; the task runs later on a thread of the timer's own. Tests pass a manual timer that
 * runs what is due when they advance a fake clock.
 */
@FunctionalInterface
public interface WakeTimer {
    /** Schedules {@code task} to run once after {@code delayNanos} (at once when not positive). */
    Cancellable schedule(long delayNanos, Runnable task);

    /** A scheduled task; cancelling one that ran or was cancelled does nothing. */
    @FunctionalInterface
    interface Cancellable {
        void cancel();
    }
}
