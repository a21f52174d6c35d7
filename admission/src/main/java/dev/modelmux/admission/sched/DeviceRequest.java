package dev.modelmux.admission.sched;

import java.util.Objects;

/**
 * One admitted, validated request for a {@link DeviceQueue}.
 *
 * @param <M> the model version key
 * @param <J> what the owner attaches to it, handed back in {@link WorkUnit#jobs()}
 * @param deadlineNanos on the queue's clock; {@code Long.MAX_VALUE} for none
 * @param rows its size along dimension 0 (1 for a model that does not batch)
 * @param batching how its model batches; null when it does not
 * @param stackKey what must match for it to stack with others; required with {@code batching}
 * @param priorityLevel its batcher priority level (lower runs first); 0 without levels
 */
public record DeviceRequest<M, J>(
        Caller caller,
        M model,
        J job,
        long deadlineNanos,
        int rows,
        BatchPolicy batching,
        BatchPlanner.StackKey stackKey,
        int priorityLevel) {
    public DeviceRequest {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(job, "job");
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be >= 1, was " + rows);
        }
        if (batching != null) {
            Objects.requireNonNull(stackKey, "stackKey");
            if (rows > batching.planner().maxBatchSize()) {
                throw new IllegalArgumentException(
                        "rows must be <= max_batch_size " + batching.planner().maxBatchSize() + ", was " + rows);
            }
        }
    }

    /** A request of a model that does not batch. */
    public static <M, J> DeviceRequest<M, J> single(Caller caller, M model, J job, long deadlineNanos) {
        return new DeviceRequest<>(caller, model, job, deadlineNanos, 1, null, null, 0);
    }
}
