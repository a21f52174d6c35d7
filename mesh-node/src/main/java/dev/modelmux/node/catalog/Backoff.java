package dev.modelmux.node.catalog;

import java.time.Duration;

/**
 * Capped exponential backoff with jitter, pure: after the {@code n}-th failure in a row the next try
 * waits {@code first * 2^(n-1)}, at most {@code cap}, scaled by a jitter factor in [0.5, 1) so that
 * nodes (and models) that failed together do not retry together.
 */
record Backoff(long firstNanos, long capNanos) {
    /** 1 s doubling to 60 s: what the catalog uses for repository reads and transient load failures. */
    static final Backoff DEFAULT =
            new Backoff(Duration.ofSeconds(1).toNanos(), Duration.ofSeconds(60).toNanos());

    Backoff {
        if (firstNanos <= 0 || capNanos < firstNanos) {
            throw new IllegalArgumentException("backoff: need 0 < first <= cap, was " + firstNanos + ", " + capNanos);
        }
    }

    /**
     * The wait after {@code failures} failures in a row.
     *
     * @param jitter a uniform draw in [0, 1)
     */
    long delayNanos(int failures, double jitter) {
        long nominal = capNanos;
        int doublings = Math.max(0, failures - 1);
        if (doublings < 62 && firstNanos <= capNanos >> doublings) {
            nominal = firstNanos << doublings;
        }
        double u = Math.min(Math.max(jitter, 0), 1);
        return Math.max(1, (long) (nominal * (0.5 + 0.5 * u)));
    }
}
