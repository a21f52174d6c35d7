package dev.modelmux.admission.tenant;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A token bucket of {@code rate} tokens per second holding at most {@code burst}, kept as a
 * single "theoretical arrival time" (GCRA) updated by compare-and-set: lock-free, no allocation,
 * a few nanoseconds per call. Time is passed in; the bucket starts full.
 *
 * <h2>Cluster-wide rates</h2>
 *
 * A tenant's {@code rate} and {@code burst} are cluster-wide. Each node enforces its share:
 * {@link #forNode(double, long, int) rate / liveNodes} with burst {@code max(1, burst /
 * liveNodes)}, so that with an even spread of requests the cluster admits {@code rate}. Two ways
 * it can admit more: (1) while a node's membership view is stale (a node joined and the others
 * still count the old, smaller number), each node still enforces the larger old share, and (2) a
 * bucket rebuilt on a membership change starts full. Both are bounded by one burst per node per
 * membership change, on top of the sustained overshoot while the views disagree: the sum over
 * nodes of {@code rate / (that node's count)} less {@code rate}, i.e. up to {@code rate / N} while
 * the old nodes still count N - 1 after one joined; a client that sends all its traffic to one node gets at most
 * that node's share, i.e. less than its quota, not more.
 */
public final class RateLimiter {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final double rate;
    private final long burst;
    private final long intervalNanos;
    private final long toleranceNanos;
    private final AtomicLong theoreticalArrival;

    private RateLimiter(double rate, long burst, long nowNanos) {
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be >= 0 (0 = unlimited), was " + rate);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be >= 1, was " + burst);
        }
        this.rate = rate;
        this.burst = burst;
        this.intervalNanos = rate == 0 ? 0 : Math.max(1L, Math.round(NANOS_PER_SECOND / rate));
        this.toleranceNanos = multiplySaturated(intervalNanos, burst);
        this.theoreticalArrival = new AtomicLong(nowNanos);
    }

    /** A full bucket of {@code rate} tokens/s (0 = unlimited) holding at most {@code burst}. */
    public static RateLimiter of(double rate, long burst, long nowNanos) {
        return new RateLimiter(rate, burst, nowNanos);
    }

    /**
     * This node's share of a cluster-wide quota: {@code rate / liveNodes}, burst {@code max(1,
     * burst / liveNodes)}. See the class comment for the overshoot bound.
     */
    public static RateLimiter forNode(double rate, long burst, int liveNodes, long nowNanos) {
        if (liveNodes < 1) {
            throw new IllegalArgumentException("liveNodes must be >= 1, was " + liveNodes);
        }
        return new RateLimiter(rate / liveNodes, Math.max(1, burst / liveNodes), nowNanos);
    }

    /**
     * Takes one token if there is one.
     *
     * @return {@code 0} if a token was taken; otherwise the nanoseconds until one will be available
     *     (always {@code > 0})
     */
    public long tryAcquire(long nowNanos) {
        if (intervalNanos == 0) {
            return 0;
        }
        while (true) {
            long tat = theoreticalArrival.get();
            long next = Math.max(tat, nowNanos) + intervalNanos;
            long ahead = next - nowNanos;
            if (ahead > toleranceNanos) {
                return ahead - toleranceNanos;
            }
            if (theoreticalArrival.compareAndSet(tat, next)) {
                return 0;
            }
        }
    }

    public double rate() {
        return rate;
    }

    public long burst() {
        return burst;
    }

    private static long multiplySaturated(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE / 4;
    }
}
