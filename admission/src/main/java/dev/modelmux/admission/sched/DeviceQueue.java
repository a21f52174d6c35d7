package dev.modelmux.admission.sched;

import dev.modelmux.admission.Priority;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue in front of one device, as a state machine: step 3 of the request path. Requests that
 * passed admission and validation wait here in per-tenant queues drained by deficit round robin
 * ({@link FairQueue}), so a tenant flooding the device gets its weighted share while others have
 * demand and all of the spare capacity when they don't. At most {@link ConcurrencyLimit#limit()}
 * units of work run at once (a Vegas-style limit learned from run times), so under overload the
 * queue builds here, where fairness, priorities and deadlines apply, not in the device's FIFO.
 * Work moves from the fair queue only while the device has room for it.
 *
 * <p>Refusals ({@link Refusal}), decided on {@link #submit}: a tenant over its {@code max_queued}
 * (or, with none, any wait at all while the device is busy), a model over its {@code max_queue_size},
 * SHEDDABLE work when the device is saturated and a full round of work already waits, anything but
 * CRITICAL over the device's {@link Config#maxQueued()}, and a deadline already past. At dispatch
 * SHEDDABLE work may use only part of the limit and CRITICAL work a reserve above it ({@link Shedder}).
 *
 * <p>Dynamic batching: requests of a model with a {@link BatchPolicy} pass from the fair queue into
 * that model's {@link BatchPlanner}, which groups requests of an equal {@link BatchPlanner.StackKey}
 * (any tenants) up to {@code max_batch_size} and releases a batch when it is full, at a preferred
 * size, or when its oldest member waited {@code max_queue_delay}; lower priority levels first. Each
 * model instance runs one batch at a time: while all are busy, arriving requests gather into the next,
 * larger batch. A model marked {@link #unbatchable} runs its requests one by one from then on.
 * Whether a request of a model whose policy says {@link BatchingMode#AUTO} goes to its planner at
 * all is the device's {@link BatchDecider}'s call, fed with the busy time and rows of each of the
 * model's units; {@link #batching} shows it.
 *
 * <p>Deadlines: a request whose deadline passes while it waits (in the fair queue, a planner, or
 * formed into a unit that has not started) is answered through {@link Dispatch#expired} without
 * running, within a millisecond: deadline timers are coalesced per millisecond. A model's REJECT
 * queue timeout (counted from arrival) shortens the deadline of the wait, and a request's own
 * deadline can shorten it further, never extend it; once a request starts, only its own deadline
 * bounds the run ({@link WorkUnit#runDeadlineNanos(int)}).
 *
 * <p>Threading: {@link #submit} may be called from any thread (event loops), {@link
 * WorkUnit#finished} from the threads that ran the work, the timer's tasks run on the timer's thread;
 * {@link #hold}, {@link #close}, {@link #unbatchable} and the gauges from any thread. State is guarded
 * by this object's monitor and held only briefly; {@link Dispatch#start}, {@link Dispatch#expired}
 * and the {@link QueueObserver} are called after it is released, on the thread that made the change.
 * Nothing here blocks or sleeps. Time comes from the clock passed in; wake-ups from the
 * {@link WakeTimer}.
 *
 * @param <M> the model version key (equal keys share a planner and an instance count)
 * @param <J> what the owner attaches to each request, handed back in {@link WorkUnit#jobs()}
 */
public final class DeviceQueue<M, J> {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceQueue.class);

    /**
     * A request's cost in fair-queue units per row, on the scale of {@link Caller#weightUnits()}
     * (weight × 10): a tenant of weight 1 takes one single-row request per round, of weight 2 two,
     * of weight 0.5 one every other round; a backlogged tenant makes others wait at most one turn.
     */
    static final long COST_PER_ROW = 10;

    /**
     * @param limit the adaptive concurrency limit's settings
     * @param maxQueued requests waiting on this device across tenants before all but CRITICAL ones are refused
     * @param shedding the shares of the limit that SHEDDABLE and CRITICAL work may use
     */
    public record Config(ConcurrencyLimit.Config limit, int maxQueued, Shedder.Config shedding) {
        public static final int DEFAULT_MAX_QUEUED = 4096;

        public Config {
            Objects.requireNonNull(limit, "limit");
            Objects.requireNonNull(shedding, "shedding");
            if (maxQueued < 1) {
                throw new IllegalArgumentException("maxQueued must be >= 1, was " + maxQueued);
            }
        }

        /** A device running {@code threads} inferences at once: the limit starts there and may grow to 4x. */
        public static Config forThreads(int threads) {
            int t = Math.max(1, threads);
            return new Config(
                    new ConcurrencyLimit.Config(t, t, t * 4, 1, 3, 1.0, 0.9, 1000),
                    DEFAULT_MAX_QUEUED,
                    Shedder.Config.defaults());
        }
    }

    /** Where the queue hands work and answers; called outside its monitor, never throwing. */
    public interface Dispatch<M, J> {
        /** Runs {@code unit} elsewhere (never blocking the caller) and calls {@link WorkUnit#finished} once it is done. */
        void start(WorkUnit<M, J> unit);

        /** {@code job} waited {@code waitedNanos} and will not run: answer it. */
        void expired(J job, Expiry why, long waitedNanos);
    }

    /** A pause of the device's dispatch; closing it (once or more) ends it. */
    public interface Hold extends AutoCloseable {
        @Override
        void close();
    }

    private final LongSupplier clock;
    private final Dispatch<M, J> dispatch;
    private final QueueObserver<M> observer;
    private final FairQueue<QueueEntry<M, J>> queue;
    private final ConcurrencyLimit limit;
    private final Shedder shedder;
    private final PlannerSet<M, J> planners;
    private final Wakeups wakeups;
    private final QueueBounds<M> bounds;
    private final BatchDecider<M> decider;
    /** Formed units that have not started (the device had no room for the first one). */
    private final ArrayDeque<WorkUnit<M, J>> runnable = new ArrayDeque<>();
    /** Answers and observations decided under the monitor, delivered after leaving it. */
    private final List<Runnable> outbox = new ArrayList<>();

    private int inFlight;
    private int holds;
    private boolean closed;
    private long ewmaRunNanos;

    private DeviceQueue(
            Config config,
            BatchDecider.Config batching,
            LongSupplier clock,
            WakeTimer timer,
            Dispatch<M, J> dispatch,
            QueueObserver<M> observer) {
        Objects.requireNonNull(config, "config");
        this.decider = new BatchDecider<>(batching);
        this.clock = Objects.requireNonNull(clock, "clock");
        this.dispatch = Objects.requireNonNull(dispatch, "dispatch");
        this.observer = Objects.requireNonNull(observer, "observer");
        this.queue = FairQueue.create(
                new FairQueue.Config(1 << 20, 1, 1 << 20), q -> expired(q.item(), Expiry.DEADLINE_EXCEEDED));
        this.limit = ConcurrencyLimit.create(config.limit());
        this.shedder = Shedder.create(config.shedding());
        this.bounds = new QueueBounds<>(config.maxQueued(), shedder);
        this.planners = new PlannerSet<>(this, this::expired);
        this.wakeups = new Wakeups(Objects.requireNonNull(timer, "timer"), this, this::wake);
    }

    /**
     * A queue for one device.
     *
     * @param clock nanoseconds, the clock of every deadline in the requests
     * @param timer runs the queue's wake-ups (batch delays, deadlines) on a thread of its own
     * @param dispatch starts work and answers expired requests
     */
    public static <M, J> DeviceQueue<M, J> create(
            Config config, LongSupplier clock, WakeTimer timer, Dispatch<M, J> dispatch, QueueObserver<M> observer) {
        return create(config, BatchDecider.Config.defaults(), clock, timer, dispatch, observer);
    }

    /** A queue for one device whose batching decisions ({@link BatchingMode#AUTO}) use {@code batching}. */
    public static <M, J> DeviceQueue<M, J> create(
            Config config,
            BatchDecider.Config batching,
            LongSupplier clock,
            WakeTimer timer,
            Dispatch<M, J> dispatch,
            QueueObserver<M> observer) {
        return new DeviceQueue<>(config, batching, clock, timer, dispatch, observer);
    }

    /**
     * What this device's {@link BatchDecider} knows of {@code model} (a model batching
     * {@link BatchingMode#AUTO}); empty for one it has not seen since its state was last forgotten.
     */
    public synchronized Optional<BatchDecider.View> batching(M model) {
        return decider.view(model);
    }

    /** What this device's {@link BatchDecider} knows of every model it decides for. */
    public synchronized java.util.Map<M, BatchDecider.View> batching() {
        return decider.views();
    }

    /** Requests waiting (not started) across tenants. */
    public synchronized int queued() {
        return queue.depth() + planners.planned() + runnableJobs();
    }

    /** Units started and not finished. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /** The concurrency limit now. */
    public synchronized int limit() {
        return limit.limit();
    }

    /**
     * Queues a request; work may start (on this thread, through {@link Dispatch#start}) before this
     * returns. Empty when accepted: the request's job is then handed to {@link Dispatch#start} in a
     * unit or to {@link Dispatch#expired}, exactly once. A refused request is neither.
     */
    public Optional<Refused> submit(DeviceRequest<M, J> r) {
        List<WorkUnit<M, J>> start;
        Refused refused;
        synchronized (this) {
            long now = clock.getAsLong();
            long deadline = r.deadlineNanos();
            if (r.batching() != null && r.batching().rejectTimeoutNanos() > 0) {
                deadline = Math.min(deadline, saturatedAdd(now, r.batching().rejectTimeoutNanos()));
            }
            refused = closed ? new Refused(Refusal.CLOSED, 0, 0, 0) : admit(r);
            if (refused == null) {
                refused = offer(new QueueEntry<>(r, now, deadline), now);
            }
            start = refused == null ? pump(now) : List.of();
        }
        Rejection rejection = refused == null ? null : refused.reason().rejection();
        if (rejection != null) {
            observer.rejected(r.caller(), r.model(), rejection);
        }
        deliver(start);
        return Optional.ofNullable(refused);
    }

    /** Refusals decided before queueing; null when the request may queue. */
    private Refused admit(DeviceRequest<M, J> r) {
        int depth = queue.depth() + planners.planned() + runnableJobs();
        return bounds.check(r, depth, inFlight, limit.limit(), holds > 0, ewmaRunNanos);
    }

    private Refused offer(QueueEntry<M, J> e, long now) {
        Caller c = e.request.caller();
        long cost = Math.min(e.request.rows(), 1 << 16) * COST_PER_ROW;
        FairQueue.OfferResult r =
                queue.offer(c.tenantId(), c.weightUnits(), c.priority(), e, cost, e.deadlineNanos, now);
        if (r == FairQueue.OfferResult.DEADLINE_EXCEEDED) {
            return new Refused(Refusal.DEADLINE_EXCEEDED, 0, 0, 0);
        }
        if (!r.accepted()) {
            return new Refused(Refusal.FAIR_QUEUE_FULL, queue.depth(c.tenantId()), 0, 0);
        }
        bounds.entered(e.request);
        wakeups.deadline(e.deadlineNanos, now);
        return null;
    }

    /**
     * Pauses dispatch until the returned hold is closed: running work finishes, nothing new starts,
     * waiting requests keep their deadlines (they expire on time). For maintenance and for tests that
     * need a request to wait.
     */
    public Hold hold() {
        synchronized (this) {
            holds++;
        }
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                List<WorkUnit<M, J>> start;
                synchronized (this) {
                    holds--;
                    start = pump(clock.getAsLong());
                }
                deliver(start);
            }
        };
    }

    /** Requests of {@code model} run one by one from now on (its outputs cannot be split); false if they did. */
    public boolean unbatchable(M model) {
        synchronized (this) {
            return planners.markUnbatchable(model);
        }
    }

    /**
     * Refuses new requests from now on and answers every waiting one {@link Expiry#CLOSED}; running
     * units finish as usual. Cancels the queue's timers. Idempotent.
     */
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            wakeups.cancelAll();
            long now = clock.getAsLong();
            for (Optional<FairQueue.Queued<QueueEntry<M, J>>> q = queue.poll(now); q.isPresent(); q = queue.poll(now)) {
                expired(q.get().item(), Expiry.CLOSED);
            }
            planners.clear();
            while (!runnable.isEmpty()) {
                drop(runnable.pollFirst(), Expiry.CLOSED);
            }
        }
        deliver(List.of());
    }

    /** Timer task: expire what is due, plan batches whose delay passed, start what fits. */
    void wake() {
        List<WorkUnit<M, J>> start;
        synchronized (this) {
            if (closed) {
                return;
            }
            long now = clock.getAsLong();
            queue.expire(now);
            planners.expire(now);
            for (Iterator<WorkUnit<M, J>> it = runnable.iterator(); it.hasNext(); ) {
                WorkUnit<M, J> u = it.next();
                if (u.allExpired(now)) {
                    it.remove();
                    drop(u, Expiry.DEADLINE_EXCEEDED);
                }
            }
            start = pump(now);
        }
        deliver(start);
    }

    /**
     * Moves work from the queue into units while the device has room, and takes slots for the units
     * that may start. Returns them. Called holding the monitor.
     */
    private List<WorkUnit<M, J>> pump(long now) {
        List<WorkUnit<M, J>> start = new ArrayList<>();
        if (closed) {
            return start;
        }
        int lim = limit.limit();
        while (holds == 0 && inFlight < shedder.ceiling(Priority.CRITICAL, lim)) {
            if (runnable.isEmpty()) {
                fill(now);
            }
            WorkUnit<M, J> next = runnable.peekFirst();
            if (next == null || !shedder.mayStart(next.priority(), inFlight, lim)) {
                break;
            }
            runnable.pollFirst();
            if (next.allExpired(now)) {
                drop(next, Expiry.DEADLINE_EXCEEDED);
                continue;
            }
            inFlight++;
            next.dispatched(now, inFlight);
            if (decided(next)) {
                decider.started(next.model(), next.batched(), now);
            }
            List<QueueEntry<M, J>> entries = next.entries();
            for (int i = 0; i < entries.size(); i++) {
                QueueEntry<M, J> e = entries.get(i);
                left(e);
                long waited = next.waitedNanos(i);
                outbox.add(() -> observer.dispatched(e.request.caller(), e.model(), waited));
            }
            if (next.batched()) {
                int rows = next.split().totalRows();
                int requests = next.size();
                outbox.add(() -> observer.batch(next.model(), rows, requests));
            }
            start.add(next);
        }
        if (!planners.isEmpty() && holds == 0 && inFlight < lim) {
            wakeups.planners(planners.nextWake(), now);
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
            Optional<FairQueue.Queued<QueueEntry<M, J>>> polled = queue.poll(now);
            if (polled.isEmpty()) {
                break;
            }
            QueueEntry<M, J> e = polled.get().item();
            if (planners.batches(e) && batchesNow(e, now)) {
                planners.add(e, now, runnable);
            } else {
                runnable.addLast(WorkUnit.single(this, e));
            }
        }
        if (runnable.isEmpty()) {
            planners.planAll(now, runnable);
        }
    }

    /** Whether a request of a batching model goes to its planner now, by its mode and the decider. */
    private boolean batchesNow(QueueEntry<M, J> e, long now) {
        return switch (e.request.batching().mode()) {
            case ALWAYS -> true;
            case NEVER -> false;
            case AUTO -> decider.decide(e.model(), now) == BatchDecider.Decision.BATCH;
        };
    }

    /** Whether the decider measures this unit: a unit of a model batching AUTO. */
    private static <M, J> boolean decided(WorkUnit<M, J> u) {
        BatchPolicy p = u.entries().get(0).request.batching();
        return p != null && p.mode() == BatchingMode.AUTO;
    }

    /** A formed unit that will not start: answer its members and free its model instance. */
    private void drop(WorkUnit<M, J> u, Expiry why) {
        if (u.batched()) {
            planners.batchDone(u.model());
        }
        u.entries().forEach(e -> expired(e, why));
    }

    /** A waiting request will not run: count it out and answer it after leaving the monitor. */
    private void expired(QueueEntry<M, J> e, Expiry why) {
        left(e);
        long waited = clock.getAsLong() - e.enqueuedNanos;
        Rejection rejection = why.rejection();
        outbox.add(() -> {
            if (rejection != null) {
                observer.rejected(e.request.caller(), e.model(), rejection);
            }
            dispatch.expired(e.request.job(), why, waited);
        });
    }

    private void left(QueueEntry<M, J> e) {
        bounds.left(e.request);
    }

    private int runnableJobs() {
        int n = 0;
        for (WorkUnit<M, J> u : runnable) {
            n += u.size();
        }
        return n;
    }

    /** A unit finished: free its slot, teach the limit, start what is waiting. */
    void finished(WorkUnit<M, J> u, boolean overloaded, boolean ran) {
        List<WorkUnit<M, J>> start;
        synchronized (this) {
            long now = clock.getAsLong();
            long rtt = now - u.dispatchedNanos();
            inFlight--;
            if (u.batched()) {
                planners.batchDone(u.model());
            }
            if (ran) {
                limit.onSample(u.dispatchedNanos(), rtt, u.inFlightAtDispatch(), overloaded);
                ewmaRunNanos = ewmaRunNanos == 0 ? rtt : ewmaRunNanos + (rtt - ewmaRunNanos) / 8;
            }
            if (decided(u)) {
                // A unit dropped before it ran (its callers cancelled) answered no rows.
                int rows = !ran
                        ? 0
                        : u.batched()
                                ? u.split().totalRows()
                                : u.entries().get(0).request.rows();
                decider.finished(u.model(), u.batched(), rows, now);
            }
            start = pump(now);
        }
        deliver(start);
    }

    /** Delivers what was decided under the monitor, then starts the units: all outside it. */
    private void deliver(List<WorkUnit<M, J>> start) {
        List<Runnable> pending;
        synchronized (this) {
            pending = outbox.isEmpty() ? List.of() : new ArrayList<>(outbox);
            outbox.clear();
        }
        for (Runnable r : pending) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.error("a device queue's answer or observer failed", e);
            }
        }
        for (WorkUnit<M, J> u : start) {
            try {
                dispatch.start(u);
            } catch (RuntimeException e) {
                LOG.error("starting {} failed; its slot is freed", u, e);
                u.finished(false);
            }
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }
}
