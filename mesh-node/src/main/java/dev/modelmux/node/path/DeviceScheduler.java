package dev.modelmux.node.path;

import dev.modelmux.admission.sched.BatchPolicy;
import dev.modelmux.admission.sched.Caller;
import dev.modelmux.admission.sched.DeviceQueue;
import dev.modelmux.admission.sched.DeviceRequest;
import dev.modelmux.admission.sched.Expiry;
import dev.modelmux.admission.sched.QueueObserver;
import dev.modelmux.admission.sched.Refused;
import dev.modelmux.admission.sched.Rejection;
import dev.modelmux.admission.sched.WakeTimer;
import dev.modelmux.admission.sched.WorkUnit;
import dev.modelmux.gpu.Batches;
import dev.modelmux.gpu.DeadlineExceededException;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.errors.ServingException.Code;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Step 3 of the request path on one device: admission's {@link DeviceQueue} (fair queuing, the
 * concurrency limit, shedding, batch formation, queue deadlines) bound to the device. Its units run
 * as {@link Lease#run} calls on the device's executor, batches stacked and split with {@link Batches};
 * its refusals and expiries become {@link ServingException}s.
 *
 * <p>A batched run that fails on input is re-run member by member, so one bad request never fails
 * or corrupts the others; a model whose outputs cannot be split is marked unbatchable and its
 * members re-run alone. Those re-runs use no slot of the limit (their requests were admitted once).
 * A running request is terminated at its deadline by ONNX Runtime's run options ({@link Lease#run}).
 *
 * <p>Threading: {@link #submit} from event loops; the queue starts units on the thread that freed
 * room (a submitter, a device thread, the timer thread); answers complete on device threads or the
 * timer thread. Nothing here blocks.
 */
final class DeviceScheduler implements DeviceQueue.Dispatch<ModelKey, DeviceScheduler.Job> {
    private static final Logger LOG = LoggerFactory.getLogger(DeviceScheduler.class);

    /** One admitted, validated request: what runs, and the future its caller waits on. */
    record Job(
            Caller caller,
            Lease lease,
            List<TensorData> inputs,
            Set<String> outputs,
            CancelSignal cancel,
            CompletableFuture<InferenceResult> result) {}

    private final String deviceId;
    private final QueueObserver<ModelKey> observer;
    private final DeviceQueue<ModelKey, Job> queue;
    private final Runnable cancelled;

    DeviceScheduler(
            String deviceId,
            DeviceQueue.Config config,
            LongSupplier clock,
            WakeTimer timer,
            QueueObserver<ModelKey> observer,
            Runnable cancelled) {
        this.deviceId = deviceId;
        this.cancelled = cancelled;
        this.observer = observer;
        this.queue = DeviceQueue.create(config, clock, timer, this, observer);
    }

    int queued() {
        return queue.queued();
    }

    int inFlight() {
        return queue.inFlight();
    }

    int limit() {
        return queue.limit();
    }

    java.util.Map<ModelKey, dev.modelmux.admission.sched.BatchDecider.View> batching() {
        return queue.batching();
    }

    DeviceQueue.Hold hold() {
        return queue.hold();
    }

    void close() {
        queue.close();
    }

    /**
     * Queues one request; the future completes (on a device or timer thread) with its outputs, or
     * fails with a {@link ServingException} (RESOURCE_EXHAUSTED when shed or over a queue bound,
     * DEADLINE_EXCEEDED, UNAVAILABLE when the device's queue closed) or the runtime's
     * {@link InferenceException}.
     *
     * @param deadlineNanos on the node's clock; {@code Long.MAX_VALUE} for none
     * @param batching how the model batches; null when it does not
     * @param cancel when set before the request starts, it is not run and fails CANCELLED
     */
    CompletableFuture<InferenceResult> submit(
            Caller caller,
            Lease lease,
            List<TensorData> inputs,
            Set<String> outputs,
            long deadlineNanos,
            BatchPolicy batching,
            int priorityLevel,
            CancelSignal cancel) {
        Job job = new Job(caller, lease, inputs, outputs, cancel, new CompletableFuture<>());
        ModelKey model = lease.model().key();
        DeviceRequest<ModelKey, Job> request = batching == null
                ? DeviceRequest.single(caller, model, job, deadlineNanos)
                : new DeviceRequest<>(
                        caller,
                        model,
                        job,
                        deadlineNanos,
                        Batching.rows(inputs),
                        batching,
                        Batching.stackKey(inputs),
                        priorityLevel);
        Optional<Refused> refused = queue.submit(request);
        return refused.isPresent() ? CompletableFuture.failedFuture(refusal(refused.get(), caller, model)) : job.result;
    }

    private ServingException refusal(Refused r, Caller c, ModelKey model) {
        return switch (r.reason()) {
            case TENANT_QUEUE_FULL ->
                new ServingException(
                        Code.RESOURCE_EXHAUSTED,
                        "tenant '" + c.tenantId() + "' already has " + r.waiting() + " requests waiting on device "
                                + deviceId + " (its max_queued is " + c.maxQueued() + ")",
                        r.retryAfterMillis());
            case MODEL_QUEUE_FULL ->
                new ServingException(
                        Code.RESOURCE_EXHAUSTED,
                        "model " + model + " already has " + r.bound() + " requests waiting (its max_queue_size)",
                        r.retryAfterMillis());
            case SHED ->
                new ServingException(
                        Code.RESOURCE_EXHAUSTED,
                        "device " + deviceId + " is saturated and sheds SHEDDABLE traffic first; retry later",
                        r.retryAfterMillis());
            case DEVICE_QUEUE_FULL ->
                new ServingException(
                        Code.RESOURCE_EXHAUSTED,
                        "device " + deviceId + " has " + r.waiting() + " requests waiting; retry later",
                        r.retryAfterMillis());
            case FAIR_QUEUE_FULL ->
                new ServingException(Code.RESOURCE_EXHAUSTED, "device " + deviceId + " cannot queue this request");
            case DEADLINE_EXCEEDED ->
                new ServingException(
                        Code.DEADLINE_EXCEEDED,
                        "deadline exceeded before the request was queued; the inference did not run");
            case CLOSED -> new ServingException(Code.UNAVAILABLE, "device " + deviceId + " is shutting down");
        };
    }

    @Override
    public void expired(Job job, Expiry why, long waitedNanos) {
        job.result.completeExceptionally(
                switch (why) {
                    case DEADLINE_EXCEEDED ->
                        new ServingException(
                                Code.DEADLINE_EXCEEDED,
                                "deadline exceeded after " + TimeUnit.NANOSECONDS.toMicros(waitedNanos)
                                        + " µs waiting on device " + deviceId + "; the inference did not run");
                    case CLOSED ->
                        new ServingException(
                                Code.UNAVAILABLE,
                                "device " + deviceId + " is shutting down; the inference did not run");
                });
    }

    @Override
    public void start(WorkUnit<ModelKey, Job> u) {
        List<Job> jobs = u.jobs();
        if (jobs.stream().allMatch(j -> j.cancel.cancelled())) {
            // Nobody waits for this work any more (a cancelled call, a hedge's losing forward).
            u.dropped();
            for (int i = 0; i < jobs.size(); i++) {
                cancelled.run();
                answer(
                        u,
                        i,
                        null,
                        new ServingException(
                                Code.CANCELLED, "the caller cancelled the request before it ran; it did not run"));
            }
            return;
        }
        if (jobs.size() == 1) {
            Job j = jobs.get(0);
            run(j.lease, j.inputs, j.outputs, u.runDeadlineNanos(0)).whenComplete((r, e) -> {
                u.finished(overload(e));
                answer(u, 0, r, e);
            });
            return;
        }
        List<TensorData> stacked;
        try {
            stacked = Batches.stack(jobs.stream().map(Job::inputs).toList());
        } catch (IllegalArgumentException e) {
            LOG.warn(
                    "could not stack a batch of {} for {}: {}; running its requests one by one",
                    jobs.size(),
                    u.model(),
                    e.getMessage());
            u.finished(false);
            runEachAlone(u);
            return;
        }
        Set<String> outputs = Batches.union(jobs.stream().map(Job::outputs).toList());
        run(jobs.get(0).lease, stacked, outputs, u.runDeadlineNanos()).whenComplete((r, e) -> {
            u.finished(overload(e));
            if (e == null) {
                split(u, r);
            } else if (badInput(e)) {
                // One member's data made the runtime fail: find it by running each on its own.
                runEachAlone(u);
            } else {
                for (int i = 0; i < jobs.size(); i++) {
                    answer(u, i, null, e);
                }
            }
        });
    }

    private void split(WorkUnit<ModelKey, Job> u, InferenceResult r) {
        List<List<TensorData>> parts;
        try {
            parts = Batches.split(
                    r.outputs(),
                    u.split().sizes(),
                    u.jobs().stream().map(Job::outputs).toList());
        } catch (Batches.CannotSplitException e) {
            if (queue.unbatchable(u.model())) {
                LOG.warn(
                        "model {} cannot be batched ({}); its requests run one by one from now on",
                        u.model(),
                        e.getMessage());
            }
            runEachAlone(u);
            return;
        }
        for (int i = 0; i < parts.size(); i++) {
            answer(u, i, r.withOutputs(parts.get(i)), null);
        }
    }

    /** Runs each member of a failed batch on its own, outside the limit (they were admitted already). */
    private void runEachAlone(WorkUnit<ModelKey, Job> u) {
        List<Job> jobs = u.jobs();
        for (int i = 0; i < jobs.size(); i++) {
            Job j = jobs.get(i);
            int member = i;
            run(j.lease, j.inputs, j.outputs, u.runDeadlineNanos(i)).whenComplete((r, e) -> answer(u, member, r, e));
        }
    }

    private static CompletableFuture<InferenceResult> run(
            Lease lease, List<TensorData> in, Set<String> out, long deadline) {
        try {
            return lease.run(in, out, deadline);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private void answer(WorkUnit<ModelKey, Job> u, int member, InferenceResult r, Throwable e) {
        Job j = u.jobs().get(member);
        if (e != null) {
            Throwable c = ServingException.unwrap(e);
            if (c instanceof DeadlineExceededException) {
                observer.rejected(j.caller, u.model(), Rejection.DEADLINE_EXCEEDED);
            }
            j.result.completeExceptionally(c);
            return;
        }
        long waited = u.waitedNanos(member);
        j.result.complete(r.withQueueNanos(waited + r.queueNanos()));
    }

    /** Whether the runtime failed because of the request's data (a batch is then re-run member by member). */
    private static boolean badInput(Throwable e) {
        return ServingException.unwrap(e) instanceof InferenceException ie
                && !(ie instanceof DeadlineExceededException)
                && ie.badInput();
    }

    /** Whether the device dropped or timed out the run: the concurrency limit backs off. */
    private static boolean overload(Throwable e) {
        Throwable c = e == null ? null : ServingException.unwrap(e);
        return c instanceof DeadlineExceededException || c instanceof RejectedExecutionException;
    }
}
