package dev.modelmux.admission.sched;

import dev.modelmux.admission.Priority;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;

/**
 * A {@link DeviceQueue} of string jobs on a fake clock and a manual timer: {@link #advance} moves
 * time and runs the timer tasks that came due, in order, on the test's thread. Started units and
 * expired jobs are recorded; nothing runs until the test finishes a unit.
 */
final class QueueHarness implements DeviceQueue.Dispatch<String, String>, QueueObserver<String> {
    static final long US = 1_000L;
    static final long MS = 1_000_000L;
    static final long NONE = Long.MAX_VALUE;

    long now;
    final ManualTimer timer = new ManualTimer();
    final List<WorkUnit<String, String>> started = new ArrayList<>();
    final Map<String, Expiry> expired = new LinkedHashMap<>();
    final Map<String, Long> expiredAfter = new LinkedHashMap<>();
    final List<String> events = new ArrayList<>();
    final DeviceQueue<String, String> queue;

    QueueHarness(DeviceQueue.Config config) {
        this(config, BatchDecider.Config.defaults());
    }

    QueueHarness(DeviceQueue.Config config, BatchDecider.Config batching) {
        this.queue = DeviceQueue.create(config, batching, () -> now, timer, this, this);
    }

    /** A device whose limit stays at {@code limit} (no adaptation), with the default shedding shares. */
    static QueueHarness fixedLimit(int limit) {
        return fixedLimit(limit, DeviceQueue.Config.DEFAULT_MAX_QUEUED);
    }

    /** A device of a fixed limit whose batching decisions use {@code batching}. */
    static QueueHarness fixedLimit(int limit, BatchDecider.Config batching) {
        return new QueueHarness(
                new DeviceQueue.Config(
                        new ConcurrencyLimit.Config(limit, limit, limit, 1, 3, 1.0, 0.9, 1000),
                        DeviceQueue.Config.DEFAULT_MAX_QUEUED,
                        Shedder.Config.defaults()),
                batching);
    }

    static QueueHarness fixedLimit(int limit, int maxQueued) {
        return new QueueHarness(new DeviceQueue.Config(
                new ConcurrencyLimit.Config(limit, limit, limit, 1, 3, 1.0, 0.9, 1000),
                maxQueued,
                Shedder.Config.defaults()));
    }

    static Caller tenant(String id) {
        return new Caller(id, Priority.DEFAULT, 10, 1000);
    }

    static Caller tenant(String id, Priority p) {
        return new Caller(id, p, 10, 1000);
    }

    Optional<Refused> submit(Caller caller, String model, String job, long deadline) {
        return queue.submit(DeviceRequest.single(caller, model, job, deadline));
    }

    void accept(Caller caller, String model, String job, long deadline) {
        Optional<Refused> r = submit(caller, model, job, deadline);
        if (r.isPresent()) {
            throw new AssertionError(job + " refused: " + r.get());
        }
    }

    Optional<Refused> submitBatched(String job, int rows, BatchPolicy policy, BatchPlanner.StackKey key, int level) {
        return queue.submit(new DeviceRequest<>(tenant("t"), "m", job, NONE, rows, policy, key, level));
    }

    void acceptBatched(String job, int rows, BatchPolicy policy, BatchPlanner.StackKey key) {
        Optional<Refused> r = submitBatched(job, rows, policy, key, 0);
        if (r.isPresent()) {
            throw new AssertionError(job + " refused: " + r.get());
        }
    }

    /** Jobs of every started unit, one list per unit, in start order. */
    List<List<String>> startedJobs() {
        return started.stream().map(WorkUnit::jobs).toList();
    }

    /** Finishes the oldest started unit that has not finished yet, after it ran {@code runNanos}. */
    WorkUnit<String, String> finishNext(long runNanos) {
        advance(runNanos);
        WorkUnit<String, String> u = started.remove(0);
        u.finished(false);
        return u;
    }

    void advance(long nanos) {
        timer.runUntil(now + nanos);
    }

    @Override
    public void start(WorkUnit<String, String> unit) {
        started.add(unit);
    }

    @Override
    public void expired(String job, Expiry why, long waitedNanos) {
        expired.put(job, why);
        expiredAfter.put(job, waitedNanos);
    }

    @Override
    public void rejected(Caller caller, String model, Rejection reason) {
        events.add("rejected " + caller.tenantId() + " " + model + " " + reason.label());
    }

    @Override
    public void dispatched(Caller caller, String model, long queueWaitNanos) {
        events.add("dispatched " + caller.tenantId() + " " + model + " " + queueWaitNanos);
    }

    @Override
    public void batch(String model, int rows, int requests) {
        events.add("batch " + model + " " + rows + " " + requests);
    }

    /** Runs timer tasks on the test's thread when the test advances the clock. */
    final class ManualTimer implements WakeTimer {
        private record Task(long due, long seq, Runnable run) {}

        private final PriorityQueue<Task> tasks =
                new PriorityQueue<>((a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
        private long seq;
        int scheduledEver;

        @Override
        public Cancellable schedule(long delayNanos, Runnable task) {
            Task t = new Task(now + Math.max(0, delayNanos), seq++, task);
            tasks.add(t);
            scheduledEver++;
            return () -> tasks.remove(t);
        }

        /** Tasks scheduled and neither run nor cancelled. */
        int pending() {
            return tasks.size();
        }

        void runUntil(long target) {
            while (!tasks.isEmpty() && tasks.peek().due <= target) {
                Task t = tasks.poll();
                now = Math.max(now, t.due);
                t.run.run();
            }
            now = target;
        }
    }
}
