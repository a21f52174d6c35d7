package dev.modelmux.node.path;

import dev.modelmux.admission.sched.BatchPolicy;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.ModelNames;
import java.util.concurrent.TimeUnit;

/**
 * Where a request's deadline comes from: the gRPC deadline ({@code grpc-timeout}), the
 * {@code timeout} request parameter in microseconds (as in Triton), or over REST the
 * {@value #HTTP_HEADER} header in milliseconds. The earliest wins: each source can only shorten
 * the deadline, and the model's default queue timeout is applied on top by the scheduler.
 */
public final class Deadlines {
    /** REST header carrying the caller's timeout in milliseconds. */
    public static final String HTTP_HEADER = "x-modelmux-timeout-ms";

    /** The longest timeout accepted from a caller: one hour. */
    static final long MAX_TIMEOUT_NANOS = TimeUnit.HOURS.toNanos(1);

    private Deadlines() {}

    /**
     * The deadline from the REST header, or {@code Long.MAX_VALUE} without one.
     *
     * @throws ServingException INVALID_ARGUMENT for a value that is not a positive whole number of ms
     */
    public static long fromHttpHeader(String value, long startNanos) {
        if (value == null) {
            return Long.MAX_VALUE;
        }
        long ms;
        try {
            ms = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw ServingException.invalid("header " + HTTP_HEADER + " must be a whole number of milliseconds, was '"
                    + ModelNames.printable(value) + "'");
        }
        return deadline(ms, TimeUnit.MILLISECONDS, startNanos, "header " + HTTP_HEADER);
    }

    /** The request with its deadline shortened by a {@code timeout} parameter (µs), if it has one. */
    static InferRequest withTimeoutParameter(InferRequest req, long startNanos) {
        Object t = req.parameters().get("timeout");
        if (t == null) {
            return req;
        }
        long us = wholeNumber(t, "parameter 'timeout' (microseconds)");
        long d = Math.min(req.deadlineNanos(), deadline(us, TimeUnit.MICROSECONDS, startNanos, "parameter 'timeout'"));
        if (d == req.deadlineNanos()) {
            return req;
        }
        return req.withDeadline(d);
    }

    /**
     * The dynamic batcher's priority level of a request: its {@code priority} parameter (1 is the
     * highest, up to the model's {@code priority_levels}), or the model's default level.
     */
    static int priorityLevel(InferRequest req, BatchPolicy policy) {
        Object p = req.parameters().get("priority");
        if (policy == null || policy.priorityLevels() == 0) {
            return 0;
        }
        if (p == null) {
            return policy.defaultPriorityLevel();
        }
        long level = wholeNumber(p, "parameter 'priority'");
        if (level == 0) {
            return policy.defaultPriorityLevel();
        }
        if (level < 0 || level > policy.priorityLevels()) {
            throw ServingException.invalid("parameter 'priority' must be in [1, " + policy.priorityLevels()
                    + "] for this model (1 is the highest), was " + level);
        }
        return (int) level;
    }

    private static long deadline(long amount, TimeUnit unit, long startNanos, String what) {
        if (amount <= 0) {
            throw ServingException.invalid(what + " must be positive, was " + amount);
        }
        long nanos = unit.toNanos(amount);
        if (nanos > MAX_TIMEOUT_NANOS) {
            throw ServingException.invalid(what + " must be at most one hour");
        }
        return startNanos + nanos;
    }

    private static long wholeNumber(Object v, String what) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short) {
            return ((Number) v).longValue();
        }
        if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
            return d.longValue();
        }
        throw ServingException.invalid(what + " must be a whole number");
    }
}
