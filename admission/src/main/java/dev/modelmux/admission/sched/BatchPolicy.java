package dev.modelmux.admission.sched;

import java.util.Objects;

/**
 * How one model version batches on a device, after Triton's {@code dynamic_batching}: the planner's
 * settings (max batch size, preferred sizes, max queue delay, a DELAY default timeout), and what the
 * device's queue applies around the planner.
 *
 * @param planner how requests gather into batches; its own queue bound is 0 and its default timeout,
 *     if any, a DELAY one (a DELAYed request moves behind the others)
 * @param maxQueueSize requests of this model waiting on the device, in the fair queue and the planner
 *     together; 0 = unbounded
 * @param rejectTimeoutNanos the model's default queue timeout when its action is REJECT (0 = none):
 *     it shortens each request's deadline, counted from enqueue; a request can shorten it, never
 *     extend it
 * @param allowTimeoutOverride Triton's {@code allow_timeout_override} (a request's own timeout may
 *     only shorten the default either way)
 * @param priorityLevels the model's {@code priority_levels}; 0 = one level
 * @param defaultPriorityLevel the level of a request that names none, in [1, priorityLevels] (0 when
 *     there are no levels)
 * @param instances batches of this model that may run at once ({@code instance_group} count), as in
 *     Triton, where each model instance executes one batch at a time: while they are all busy,
 *     arriving requests gather into the next, larger batch
 * @param mode whether its requests batch: {@link BatchingMode#AUTO} lets the device's
 *     {@link BatchDecider} choose from measured throughput; {@link BatchingMode#NEVER} runs them one
 *     by one (the queue policy above still applies)
 */
public record BatchPolicy(
        BatchPlanner.Config planner,
        int maxQueueSize,
        long rejectTimeoutNanos,
        boolean allowTimeoutOverride,
        int priorityLevels,
        int defaultPriorityLevel,
        int instances,
        BatchingMode mode) {
    public BatchPolicy {
        Objects.requireNonNull(planner, "planner");
        Objects.requireNonNull(mode, "mode");
        if (planner.maxQueueSize() != 0) {
            throw new IllegalArgumentException("the planner's own maxQueueSize must be 0 (the policy's maxQueueSize"
                    + " bounds the fair queue and the planner together), was " + planner.maxQueueSize());
        }
        if (planner.timeoutAction() == BatchPlanner.TimeoutAction.REJECT && planner.defaultTimeoutNanos() != 0) {
            throw new IllegalArgumentException(
                    "a REJECT queue timeout is rejectTimeoutNanos (it shortens the deadline),"
                            + " not the planner's defaultTimeoutNanos, was " + planner.defaultTimeoutNanos());
        }
        if (maxQueueSize < 0) {
            throw new IllegalArgumentException("maxQueueSize must be >= 0, was " + maxQueueSize);
        }
        if (rejectTimeoutNanos < 0) {
            throw new IllegalArgumentException("rejectTimeoutNanos must be >= 0, was " + rejectTimeoutNanos);
        }
        if (priorityLevels < 0) {
            throw new IllegalArgumentException("priorityLevels must be >= 0, was " + priorityLevels);
        }
        if (defaultPriorityLevel < 0 || defaultPriorityLevel > priorityLevels) {
            throw new IllegalArgumentException(
                    "defaultPriorityLevel must be in [0, priorityLevels], was " + defaultPriorityLevel);
        }
        if (instances < 1) {
            throw new IllegalArgumentException("instances must be >= 1, was " + instances);
        }
    }

    /** A policy that batches {@link BatchingMode#ALWAYS}, as every policy did before the mode existed. */
    public BatchPolicy(
            BatchPlanner.Config planner,
            int maxQueueSize,
            long rejectTimeoutNanos,
            boolean allowTimeoutOverride,
            int priorityLevels,
            int defaultPriorityLevel,
            int instances) {
        this(
                planner,
                maxQueueSize,
                rejectTimeoutNanos,
                allowTimeoutOverride,
                priorityLevels,
                defaultPriorityLevel,
                instances,
                BatchingMode.ALWAYS);
    }

    /**
     * A policy with only the planner's settings: no queue bound, no REJECT timeout, one level, one
     * instance, batching {@link BatchingMode#ALWAYS}.
     */
    public static BatchPolicy of(BatchPlanner.Config planner) {
        return new BatchPolicy(planner, 0, 0, false, 0, 0, 1);
    }

    /** This policy with {@code mode}. */
    public BatchPolicy withMode(BatchingMode m) {
        return new BatchPolicy(
                planner,
                maxQueueSize,
                rejectTimeoutNanos,
                allowTimeoutOverride,
                priorityLevels,
                defaultPriorityLevel,
                instances,
                m);
    }
}
