package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeadlineExceededException;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.TensorData;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * A lease on a READY slot. Runs go to the device's inference executor. The slot's in-flight count
 * drops when the lease is closed and its last run has finished, whichever comes later, so a
 * caller that closes early cannot get the sessions closed under a running inference.
 */
final class OrtLease implements Lease {
    private final OrtDevicePool pool;
    private final Slot slot;
    private final OrtModel model;
    private final LongSupplier clock;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean released = new AtomicBoolean();
    private final AtomicInteger running = new AtomicInteger();

    OrtLease(OrtDevicePool pool, Slot slot, OrtModel model, LongSupplier clock) {
        this.pool = pool;
        this.slot = slot;
        this.model = model;
        this.clock = clock;
    }

    @Override
    public LoadedModel model() {
        return model;
    }

    @Override
    public CompletableFuture<InferenceResult> run(List<TensorData> inputs, Set<String> outputs, long deadlineNanos) {
        // Count first, then check: either this run sees the close, or the close sees this run.
        running.incrementAndGet();
        if (closed.get()) {
            runFinished();
            return CompletableFuture.failedFuture(
                    new InferenceException("the lease on " + model.key() + " is closed", false, null));
        }
        List<TensorData> in = List.copyOf(inputs);
        Set<String> wanted = new LinkedHashSet<>(outputs); // keeps the caller's order
        CompletableFuture<InferenceResult> result = new CompletableFuture<>();
        long submitted = clock.getAsLong();
        DeviceWorkers workers = slot.device.workers;
        try {
            workers.infer().execute(() -> {
                long started = clock.getAsLong();
                long[] timing = new long[3];
                InferenceResult out = null;
                InferenceException failure = null;
                boolean ran = false;
                try {
                    if (deadlineNanos != Long.MAX_VALUE && deadlineNanos - started <= 0) {
                        throw new DeadlineExceededException(
                                "deadline exceeded after waiting " + (started - submitted) / 1000
                                        + " µs for a device thread; the inference did not run",
                                false);
                    }
                    ran = true;
                    List<TensorData> tensors = model.infer(in, wanted, deadlineNanos, clock, timing);
                    out = new InferenceResult(
                            tensors, started - submitted, clock.getAsLong() - started, timing[0], timing[2]);
                } catch (InferenceException e) {
                    failure = e;
                } catch (RuntimeException | Error e) {
                    failure = new InferenceException(
                            "internal error running " + model.key() + ": " + OrtMessages.of(e), false, null);
                }
                if (ran) {
                    pool.executed(model, in, timing, failure == null);
                }
                // Count the run as finished before the caller hears of it, so that a close() right after
                // the result drops the in-flight count at once.
                runFinished();
                if (failure == null) {
                    result.complete(out);
                } else {
                    result.completeExceptionally(failure);
                }
            });
        } catch (RejectedExecutionException e) {
            runFinished();
            String why = workers.infer().isShutdown()
                    ? "device " + slot.device.spec.id() + " is shutting down"
                    : "device " + slot.device.spec.id() + " is overloaded (" + workers.queueCapacity()
                            + " inferences queued); retry later";
            result.completeExceptionally(new InferenceException(why, false, null));
        }
        return result;
    }

    private void runFinished() {
        if (running.decrementAndGet() == 0 && closed.get()) {
            release();
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && running.get() == 0) {
            release();
        }
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            pool.leaseClosed(slot);
        }
    }
}
