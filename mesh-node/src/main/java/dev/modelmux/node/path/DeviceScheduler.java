package dev.modelmux.node.path;

import dev.modelmux.admission.Priority;
import dev.modelmux.admission.sched.BatchPlanner;
import dev.modelmux.admission.sched.ConcurrencyLimit;
import dev.modelmux.admission.sched.FairQueue;
import dev.modelmux.admission.sched.Shedder;
import dev.modelmux.gpu.DeadlineExceededException;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue in front of one device: step 3 of the request path. Requests that passed admission and
 * validation wait here in per-tenant queues drained by deficit round robin ({@link FairQueue}), so a
 * tenant flooding the device gets its weighted share while others have demand and all of the spare
 * capacity when they don't. At most {@link ConcurrencyLimit#limit()} units of work run on the
 * device at once (a Vegas-style limit learned from the run times), so under overload the queue
 * builds here, where fairness, priorities and deadlines apply, not in the device's FIFO.
 *
 * <p>Priorities: a SHEDDABLE request is shed at once when the device is saturated and a full round
 * of work is already waiting; at dispatch SHEDDABLE work may use only part of the limit and
 * CRITICAL work a reserve above it ({@link Shedder}).
 *
 * <p>Dynamic batching: requests for a model version whose config has {@code dynamic_batching} pass
 * from the fair queue into that version's {@link BatchPlanner}, which stacks requests of equal
 * input shapes (any tenants) up to {@code max_batch_size} and releases a batch when it is full, at
 * a preferred size, or when its oldest member waited {@code max_queue_delay_microseconds}. Items are
 * moved into planners only while the device has room, so under load batches fill from the queue.
 * A batched run that fails on input is re-run member by member, so one bad request never fails or
 * corrupts the others.
 *
 * <p>Deadlines: a request whose deadline passes while it waits is answered DEADLINE_EXCEEDED
 * without running; a running one is terminated through ONNX Runtime's run options. The model's
 * default queue timeout (REJECT) shortens the deadline; a request can shorten it, never extend it.
 *
 * <p>Threading: state is guarded by this object's monitor and touched only briefly; work is
 * started and requests are answered outside it. Submissions come from event loops, completions
 * from device threads, wake-ups from one timer thread. Nothing here blocks.
 */
public final class DeviceScheduler {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceScheduler.class);

    /** Outcome labels of requests this scheduler refuses or fails (metrics). */
    public static final String SHED = "shed";

    public static final String QUEUE_FULL = "queue_full";
    public static final String DEADLINE = "deadline_exceeded";
    public static final String TIMEOUT = "timeout";

    /** One admitted, validated request waiting for (or running on) the device. */
    static final class Job {
        final Caller caller;
        final Lease lease;
        final List<TensorData> inputs;
        final Set<String> outputs;
        final long enqueuedNanos;
        final long deadlineNanos;
        final Batching.Policy batching;
        final BatchPlanner.StackKey stackKey;
        final int rows;
        final int priorityLevel;
        final CompletableFuture<InferenceResult> result = new CompletableFuture<>();
        long dispatchedNanos;

        Job(
                Caller caller,
                Lease lease,
                List<TensorData> inputs,
                Set<String> outputs,
                long enqueuedNanos,
                long deadlineNanos,
                Batching.Policy batching,
                int priorityLevel) {
            this.caller = caller;
            this.lease = lease;
            this.inputs = inputs;
            this.outputs = outputs;
            this.enqueuedNanos = enqueuedNanos;
            this.deadlineNanos = deadlineNanos;
            this.batching = batching;
            this.stackKey = batching == null ? null : Batching.stackKey(inputs);
            this.rows = batching == null ? 1 : Math.max(1, Batching.rows(inputs));
            this.priorityLevel = priorityLevel;
        }

        ModelKey model() {
            return lease.model().key();
        }
    }

    /** Work to start: one request, or a batch of requests of one model version. */
    private record Unit(List<Job> jobs, BatchPlanner.Batch batch) {
        Priority priority() {
            Priority p = Priority.SHEDDABLE;
            for (Job j : jobs) {
                if (j.caller.priority().ordinal() > p.ordinal()) {
                    p = j.caller.priority();
                }
            }
            return p;
        }
    }

    /** Metrics the scheduler reports; implemented by the node's metrics. */
    public interface Observer {
        void rejected(Caller caller, ModelKey model, String reason);

        void dispatched(Caller caller, ModelKey model, long queueWaitNanos);

        void batch(ModelKey model, int rows, int requests);
    }

    /** @param maxQueued requests waiting on this device across tenants before DEFAULT ones are refused */
    record Config(int threads, int maxQueued, Shedder.Config shedding) {
        static Config of(int threads) {
            return new Config(threads, 4096, Shedder.Config.defaults());
        }
    }

    private final String deviceId;
    private final Config config;
    private final LongSupplier clock;
    private final ScheduledExecutorService timer;
    private final Observer observer;
    private final FairQueue<Job> queue;
    private final ConcurrencyLimit limit;
    private final Shedder shedder;
    private final Map<ModelKey, BatchPlanner> planners = new HashMap<>();
    private final Map<Long, Job> plannedById = new HashMap<>();
    private final Map<ModelKey, Integer> waitingByModel = new HashMap<>();
    /** Batches running per batching model version, capped at its instance count. */
    private final Map<ModelKey, Integer> batchesRunning = new HashMap<>();

    private final Map<ModelKey, Integer> instances = new HashMap<>();
    private final ArrayDeque<Unit> runnable = new ArrayDeque<>();
    /** Requests that expired or were refused inside the monitor, answered after leaving it. */
    private final List<Runnable> answers = new ArrayList<>();

    private static final long DEADLINE_TICK_NANOS = 1_000_000L;
    /**
     * A request's cost in fair-queue units per row, on the scale of {@link Caller#weightUnits()}
     * (weight × 10): a tenant of weight 1 takes one single-row request per round, of weight 2 two,
     * of weight 0.5 one every other round; a backlogged tenant makes others wait at most one turn.
     */
    private static final long COST_PER_ROW = 10;
    /** Millisecond buckets with a deadline timer scheduled. */
    private final TreeSet<Long> deadlineWakes = new TreeSet<>();

    private long nextPlannerId;
    private int inFlight;
    private long scheduledWake = Long.MAX_VALUE;
    private ScheduledFuture<?> wakeTask;
    private long ewmaRunNanos;
    private final Set<ModelKey> unbatchable = ConcurrentHashMap.newKeySet();

    DeviceScheduler(
            String deviceId, Config config, LongSupplier clock, ScheduledExecutorService timer, Observer observer) {
        this.deviceId = deviceId;
        this.config = config;
        this.clock = clock;
        this.timer = timer;
        this.observer = observer;
        this.queue = FairQueue.create(new FairQueue.Config(1 << 20, 1, 1 << 20), this::expiredInQueue);
        int threads = Math.max(1, config.threads());
        this.limit = ConcurrencyLimit.create(
                new ConcurrencyLimit.Config(threads, threads, threads * 4, 1, 3, 1.0, 0.9, 1000));
        this.shedder = Shedder.create(config.shedding());
    }

    String deviceId() {
        return deviceId;
    }

    synchronized int queued() {
        return queue.depth() + plannedById.size();
    }

    synchronized int inFlight() {
        return inFlight;
    }

    synchronized int limit() {
        return limit.limit();
    }

    /**
     * Queues one request; the future completes (on a device or timer thread) with its outputs, or
     * fails with a {@link ServingException} (RESOURCE_EXHAUSTED when shed or over a queue bound,
     * DEADLINE_EXCEEDED) or the runtime's {@link InferenceException}.
     */
    CompletableFuture<InferenceResult> submit(Job job) {
        List<Unit> start;
        synchronized (this) {
            long now = job.enqueuedNanos;
            ServingException refused = admit(job);
            if (refused != null) {
                return CompletableFuture.failedFuture(refused);
            }
            FairQueue.OfferResult r = queue.offer(
                    job.caller.tenantId(),
                    job.caller.weightUnits(),
                    job.caller.priority(),
                    job,
                    (long) Math.min(job.rows, 1 << 16) * COST_PER_ROW,
                    job.deadlineNanos,
                    now);
            if (!r.accepted()) {
                String reason = r == FairQueue.OfferResult.DEADLINE_EXCEEDED ? DEADLINE : QUEUE_FULL;
                observer.rejected(job.caller, job.model(), reason);
                return CompletableFuture.failedFuture(
                        r == FairQueue.OfferResult.DEADLINE_EXCEEDED
                                ? new ServingException(
                                        ServingException.Code.DEADLINE_EXCEEDED,
                                        "deadline exceeded before the request was queued; the inference did not run")
                                : new ServingException(
                                        ServingException.Code.RESOURCE_EXHAUSTED,
                                        "device " + deviceId + " cannot queue this request"));
            }
            waitingByModel.merge(job.model(), 1, Integer::sum);
            if (job.deadlineNanos != Long.MAX_VALUE) {
                // One timer per millisecond of deadlines, not one per request: expiry is answered at most
                // a millisecond late, and a burst of requests with deadlines costs a handful of timers.
                long bucket = (job.deadlineNanos / DEADLINE_TICK_NANOS + 1) * DEADLINE_TICK_NANOS;
                if (deadlineWakes.add(bucket)) {
                    timer.schedule(() -> deadlineWake(bucket), Math.max(0, bucket - now), TimeUnit.NANOSECONDS);
                }
            }
            start = pump(now);
        }
        startAll(start);
        return job.result;
    }

    /** Refusals decided before queueing; null when the job may queue. Called holding the monitor. */
    private ServingException admit(Job job) {
        Caller c = job.caller;
        int lim = limit.limit();
        int depth = queue.depth() + plannedById.size();
        int tenantDepth = queue.depth(c.tenantId());
        boolean saturated = inFlight >= lim;
        if (c.maxQueued() > 0 ? tenantDepth >= c.maxQueued() : (saturated || depth > 0)) {
            observer.rejected(c, job.model(), QUEUE_FULL);
            return new ServingException(
                    ServingException.Code.RESOURCE_EXHAUSTED,
                    "tenant '" + c.tenantId() + "' already has " + tenantDepth + " requests waiting on device "
                            + deviceId + " (its max_queued is " + c.maxQueued() + ")",
                    retryAfterMillis(depth));
        }
        if (job.batching != null
                && job.batching.maxQueueSize() > 0
                && waitingByModel.getOrDefault(job.model(), 0) >= job.batching.maxQueueSize()) {
            observer.rejected(c, job.model(), QUEUE_FULL);
            return new ServingException(
                    ServingException.Code.RESOURCE_EXHAUSTED,
                    "model " + job.model() + " already has " + job.batching.maxQueueSize()
                            + " requests waiting (its max_queue_size)",
                    retryAfterMillis(depth));
        }
        if (c.priority() == Priority.SHEDDABLE
                && inFlight >= shedder.ceiling(Priority.SHEDDABLE, lim)
                && depth >= lim) {
            observer.rejected(c, job.model(), SHED);
            return new ServingException(
                    ServingException.Code.RESOURCE_EXHAUSTED,
                    "device " + deviceId + " is saturated and sheds SHEDDABLE traffic first; retry later",
                    retryAfterMillis(depth));
        }
        if (c.priority() != Priority.CRITICAL && depth >= config.maxQueued()) {
            observer.rejected(c, job.model(), SHED);
            return new ServingException(
                    ServingException.Code.RESOURCE_EXHAUSTED,
                    "device " + deviceId + " has " + depth + " requests waiting; retry later",
                    retryAfterMillis(depth));
        }
        return null;
    }

    /** How long until the queue ahead has probably drained: its depth over the limit, times a run. */
    private long retryAfterMillis(int depth) {
        long runNanos = Math.max(ewmaRunNanos, 100_000);
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(runNanos * (depth / Math.max(1, limit.limit()) + 1)));
    }

    /** The fair queue's expiry callback (inside the monitor): answer after leaving it. */
    private void expiredInQueue(FairQueue.Queued<Job> q) {
        Job j = q.item();
        left(j);
        observer.rejected(j.caller, j.model(), DEADLINE);
        long waited = clock.getAsLong() - j.enqueuedNanos;
        answers.add(() -> j.result.completeExceptionally(deadline(j, waited)));
    }

    private ServingException deadline(Job j, long waitedNanos) {
        return new ServingException(
                ServingException.Code.DEADLINE_EXCEEDED,
                "deadline exceeded after " + TimeUnit.NANOSECONDS.toMicros(waitedNanos) + " µs waiting on device "
                        + deviceId + "; the inference did not run");
    }

    private void left(Job j) {
        waitingByModel.computeIfPresent(j.model(), (k, n) -> n <= 1 ? null : n - 1);
    }

    private void deadlineWake(long bucket) {
        synchronized (this) {
            deadlineWakes.remove(bucket);
        }
        wake();
    }

    /** Timer callback: expire what is due, plan batches whose delay passed, start what fits. */
    private void plannerWake() {
        synchronized (this) {
            scheduledWake = Long.MAX_VALUE;
            wakeTask = null;
        }
        wake();
    }

    private void wake() {
        List<Unit> start;
        synchronized (this) {
            long now = clock.getAsLong();
            queue.expire(now);
            start = pump(now);
        }
        startAll(start);
    }

    /**
     * Moves work from the queue into runnable units while the device has room. Returns the units to
     * start (their in-flight slots already taken). Called holding the monitor.
     */
    private List<Unit> pump(long now) {
        List<Unit> start = new ArrayList<>();
        int lim = limit.limit();
        while (true) {
            if (runnable.isEmpty()) {
                fill(now);
            }
            Unit next = runnable.peekFirst();
            if (next == null || !shedder.mayStart(next.priority(), inFlight, lim)) {
                break;
            }
            runnable.pollFirst();
            inFlight++;
            for (Job j : next.jobs) {
                j.dispatchedNanos = now;
                left(j);
                observer.dispatched(j.caller, j.model(), now - j.enqueuedNanos);
            }
            start.add(next);
        }
        if (!planners.isEmpty() && inFlight < lim) {
            long due = Long.MAX_VALUE;
            for (var e : planners.entrySet()) {
                if (mayRunBatch(e.getKey())) {
                    due = Math.min(due, e.getValue().nextWakeNanos());
                }
            }
            scheduleWake(due, now);
        }
        return start;
    }

    /**
     * Takes requests from the fair queue until one unit is runnable or the queue is empty; requests
     * of batching models go to their planner, which is asked for batches once it may hold a full one
     * and when the queue is drained. Called holding the monitor.
     */
    private void fill(long now) {
        while (runnable.isEmpty()) {
            Optional<FairQueue.Queued<Job>> polled = queue.poll(now);
            if (polled.isEmpty()) {
                break;
            }
            Job j = polled.get().item();
            if (j.batching == null || unbatchable.contains(j.model())) {
                runnable.addLast(new Unit(List.of(j), null));
                continue;
            }
            BatchPlanner planner = planners.computeIfAbsent(j.model(), k -> BatchPlanner.create(j.batching.planner()));
            instances.put(j.model(), j.batching.instances());
            long id = nextPlannerId++;
            BatchPlanner.AddResult added = planner.add(
                    new BatchPlanner.Request(id, j.rows, j.stackKey, j.enqueuedNanos, j.deadlineNanos, j.priorityLevel),
                    now);
            if (!added.accepted()) {
                // Validation already bounds the batch size, so this is a deadline passing just now.
                left(j);
                observer.rejected(j.caller, j.model(), DEADLINE);
                answers.add(() -> j.result.completeExceptionally(deadline(j, now - j.enqueuedNanos)));
                continue;
            }
            plannedById.put(id, j);
            // Plan only once a full batch may be waiting: requests that already waited longer than the
            // batch delay (under load, in the fair queue) would otherwise leave one by one.
            if (planner.pending() >= j.batching.planner().maxBatchSize() && mayRunBatch(j.model())) {
                plan(j.model(), planner, now);
            }
        }
        if (runnable.isEmpty()) {
            for (var e : List.copyOf(planners.entrySet())) {
                if (mayRunBatch(e.getKey())) {
                    plan(e.getKey(), e.getValue(), now);
                }
            }
        }
    }

    /** Whether a batch of {@code model} may be released: fewer of its batches run than it has instances. */
    private boolean mayRunBatch(ModelKey model) {
        return batchesRunning.getOrDefault(model, 0) < instances.getOrDefault(model, 1);
    }

    private void plan(ModelKey model, BatchPlanner planner, long now) {
        BatchPlanner.Plan plan = planner.plan(now);
        for (BatchPlanner.Rejected r : plan.rejected()) {
            Job j = plannedById.remove(r.request().id());
            left(j);
            String reason = r.reason() == BatchPlanner.RejectReason.TIMEOUT ? TIMEOUT : DEADLINE;
            observer.rejected(j.caller, j.model(), reason);
            answers.add(() -> j.result.completeExceptionally(deadline(j, now - j.enqueuedNanos)));
        }
        for (BatchPlanner.Batch b : plan.batches()) {
            List<Job> jobs = new ArrayList<>(b.members().size());
            for (BatchPlanner.Request r : b.members()) {
                jobs.add(plannedById.remove(r.id()));
            }
            runnable.addLast(new Unit(jobs, b));
            batchesRunning.merge(model, 1, Integer::sum);
        }
        if (planner.pending() == 0) {
            planners.remove(model);
        }
    }

    private void scheduleWake(long due, long now) {
        if (due == Long.MAX_VALUE || due >= scheduledWake) {
            return;
        }
        if (wakeTask != null) {
            wakeTask.cancel(false);
        }
        scheduledWake = due;
        wakeTask = timer.schedule(this::plannerWake, Math.max(0, due - now), TimeUnit.NANOSECONDS);
    }

    /** Starts units outside the monitor and answers what was refused or expired meanwhile. */
    private void startAll(List<Unit> units) {
        List<Runnable> pending;
        synchronized (this) {
            pending = answers.isEmpty() ? List.of() : new ArrayList<>(answers);
            answers.clear();
        }
        pending.forEach(Runnable::run);
        for (Unit u : units) {
            start(u);
        }
    }

    private void start(Unit u) {
        long started = clock.getAsLong();
        int inFlightAtStart;
        synchronized (this) {
            inFlightAtStart = inFlight;
        }
        if (u.batch == null || u.jobs.size() == 1) {
            Job j = u.jobs.get(0);
            if (u.batch != null) {
                observer.batch(j.model(), j.rows, 1);
            }
            run(j.lease, j.inputs, j.outputs, j.deadlineNanos).whenComplete((r, e) -> {
                finished(u, started, inFlightAtStart, e);
                answer(j, r, e);
            });
            return;
        }
        List<TensorData> stacked;
        try {
            stacked = Batching.stack(u.jobs.stream().map(j -> j.inputs).toList());
        } catch (RuntimeException e) {
            LOG.warn(
                    "could not stack a batch of {} for {}: {}; running its requests one by one",
                    u.jobs.size(),
                    u.jobs.get(0).model(),
                    e.getMessage());
            finished(u, started, inFlightAtStart, null);
            u.jobs.forEach(this::runAlone);
            return;
        }
        long deadline = 0;
        for (Job j : u.jobs) {
            deadline = Math.max(deadline, j.deadlineNanos);
        }
        observer.batch(u.jobs.get(0).model(), u.batch.size(), u.jobs.size());
        Set<String> outputs = Batching.union(u.jobs.stream().map(j -> j.outputs).toList());
        run(u.jobs.get(0).lease, stacked, outputs, deadline).whenComplete((r, e) -> {
            finished(u, started, inFlightAtStart, e);
            if (e == null) {
                split(u, r);
            } else if (InferenceFailures.badInput(e)) {
                // One member's data made the runtime fail: find it by running each on its own.
                u.jobs.forEach(this::runAlone);
            } else {
                u.jobs.forEach(j -> answer(j, null, e));
            }
        });
    }

    private void split(Unit u, InferenceResult r) {
        List<List<TensorData>> parts = new ArrayList<>(u.jobs.size());
        try {
            for (int i = 0; i < u.jobs.size(); i++) {
                parts.add(Batching.split(r.outputs(), u.batch.split(), i, u.jobs.get(i).outputs));
            }
        } catch (IllegalStateException e) {
            ModelKey model = u.jobs.get(0).model();
            if (unbatchable.add(model)) {
                LOG.warn(
                        "model {} cannot be batched ({}); its requests run one by one from now on",
                        model,
                        e.getMessage());
            }
            u.jobs.forEach(this::runAlone);
            return;
        }
        for (int i = 0; i < u.jobs.size(); i++) {
            answer(u.jobs.get(i), r.withOutputs(parts.get(i)), null);
        }
    }

    /** Runs one request of a failed batch on its own, outside the limit (it was admitted already). */
    private void runAlone(Job j) {
        run(j.lease, j.inputs, j.outputs, j.deadlineNanos).whenComplete((r, e) -> answer(j, r, e));
    }

    private static CompletableFuture<InferenceResult> run(
            Lease lease, List<TensorData> in, Set<String> out, long deadline) {
        try {
            return lease.run(in, out, deadline);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void answer(Job j, InferenceResult r, Throwable e) {
        if (e != null) {
            Throwable c = ServingException.unwrap(e);
            if (c instanceof DeadlineExceededException) {
                observer.rejected(j.caller, j.model(), DEADLINE);
            }
            j.result.completeExceptionally(c);
            return;
        }
        long waited = j.dispatchedNanos - j.enqueuedNanos;
        j.result.complete(r.withQueueNanos(waited + r.queueNanos()));
    }

    /** A unit finished: free its slot, teach the limit, start what is waiting. */
    private void finished(Unit u, long startedNanos, int inFlightAtStart, Throwable failure) {
        List<Unit> start;
        synchronized (this) {
            long now = clock.getAsLong();
            long rtt = now - startedNanos;
            inFlight--;
            if (u.batch != null) {
                ModelKey model = u.jobs.get(0).model();
                batchesRunning.computeIfPresent(model, (k, n) -> n <= 1 ? null : n - 1);
                if (!planners.containsKey(model) && !batchesRunning.containsKey(model)) {
                    instances.remove(model);
                }
            }
            boolean dropped = failure != null && InferenceFailures.overload(failure);
            limit.onSample(startedNanos, rtt, inFlightAtStart, dropped);
            ewmaRunNanos = ewmaRunNanos == 0 ? rtt : ewmaRunNanos + (rtt - ewmaRunNanos) / 8;
            start = pump(now);
        }
        startAll(start);
    }

    /** Classifies runtime failures for the scheduler. */
    static final class InferenceFailures {
        private InferenceFailures() {}

        static boolean badInput(Throwable e) {
            return ServingException.unwrap(e) instanceof InferenceException ie
                    && !(ie instanceof DeadlineExceededException)
                    && ie.badInput();
        }

        static boolean overload(Throwable e) {
            Throwable c = ServingException.unwrap(e);
            return c instanceof DeadlineExceededException || c instanceof RejectedExecutionException;
        }
    }
}
