package dev.modelmux.admin;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.OptionalDouble;

/**
 * Percentiles and rate over a sliding window, computed from successive samples of a cumulative
 * histogram (Prometheus style: each bucket counts every value at or below its upper bound, since
 * start). The window's distribution is the difference between the newest sample and the oldest one
 * still inside the window, so nothing is recorded per request. Time is passed in; not
 * thread-safe (one sampler owns it).
 */
public final class LatencyWindow {

    private record Sample(long nanos, double[] bounds, double[] cumulative, long total) {}

    private final long windowNanos;
    private final Deque<Sample> samples = new ArrayDeque<>();

    public LatencyWindow(long windowNanos) {
        if (windowNanos <= 0) {
            throw new IllegalArgumentException("window must be > 0 ns, was " + windowNanos);
        }
        this.windowNanos = windowNanos;
    }

    /**
     * Adds a sample taken at {@code nowNanos}.
     *
     * @param upperBounds bucket upper bounds, ascending (any unit; percentiles come out in it)
     * @param cumulative  values at or below each bound, since start
     * @param total       all values since start (also those above the last bound)
     */
    public void sample(long nowNanos, double[] upperBounds, double[] cumulative, long total) {
        if (upperBounds.length != cumulative.length) {
            throw new IllegalArgumentException("bounds and counts differ in length");
        }
        Sample s = new Sample(nowNanos, upperBounds.clone(), cumulative.clone(), total);
        Sample last = samples.peekLast();
        if (last != null && (!Arrays.equals(last.bounds, s.bounds) || total < last.total)) {
            samples.clear(); // the histogram was reset or re-bucketed: start over
        }
        samples.addLast(s);
        // Keep exactly one sample at or before the window's start as the base.
        while (samples.size() > 2) {
            Sample second = samples.stream().skip(1).findFirst().orElseThrow();
            if (nowNanos - second.nanos >= windowNanos) {
                samples.removeFirst();
            } else {
                break;
            }
        }
    }

    /** Values recorded within the window. */
    public long count() {
        if (samples.size() < 2) {
            return 0;
        }
        return samples.peekLast().total - samples.peekFirst().total;
    }

    /** Values per second over the span the samples cover (0 before two samples). */
    public double ratePerSecond() {
        if (samples.size() < 2) {
            return 0;
        }
        long span = samples.peekLast().nanos - samples.peekFirst().nanos;
        return span <= 0 ? 0 : count() * 1e9 / span;
    }

    /**
     * The {@code q} quantile (0..1) of the values in the window, interpolated linearly within its
     * bucket; the last bound when it lies above every bucket; empty when the window holds no value.
     */
    public OptionalDouble percentile(double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in [0, 1], was " + q);
        }
        long n = count();
        if (n <= 0) {
            return OptionalDouble.empty();
        }
        Sample a = samples.peekFirst();
        Sample b = samples.peekLast();
        double target = Math.max(1, Math.ceil(q * n));
        double below = 0;
        double lowerBound = 0;
        for (int i = 0; i < b.bounds.length; i++) {
            double upTo = b.cumulative[i] - a.cumulative[i];
            if (upTo >= target) {
                double inBucket = upTo - below;
                double frac = inBucket <= 0 ? 1 : (target - below) / inBucket;
                return OptionalDouble.of(lowerBound + frac * (b.bounds[i] - lowerBound));
            }
            below = upTo;
            lowerBound = b.bounds[i];
        }
        return OptionalDouble.of(b.bounds.length == 0 ? 0 : b.bounds[b.bounds.length - 1]);
    }
}
