package dev.modelmux.placement.capacity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalDouble;

/**
 * Samples of one quantity over time, kept in fixed-width buckets for a bounded retention: each
 * bucket holds the sum, count and maximum of the samples whose time falls in it. Bucket {@code i}
 * covers {@code [i × width, (i + 1) × width)}, so two series with the same width and clock have
 * aligned buckets. Time is passed in (any unit, the same for every call); samples older than the
 * retention are forgotten. Not thread-safe: one owner samples and reads it.
 */
public final class WindowedSeries {
    private final long width;
    private final int buckets;
    private final long[] index;
    private final double[] sum;
    private final long[] count;
    private final double[] max;

    /**
     * @param width     bucket width, {@code > 0}
     * @param retention how far back samples are kept, at least one bucket
     */
    public WindowedSeries(long width, long retention) {
        if (width <= 0) {
            throw new IllegalArgumentException("bucket width must be > 0, was " + width);
        }
        if (retention < width) {
            throw new IllegalArgumentException(
                    "retention must be at least one bucket (" + width + "), was " + retention);
        }
        long n = retention / width + 1; // the current, partly filled bucket and the full ones before it
        if (n > 1_000_000) {
            throw new IllegalArgumentException("retention / width must be at most 1,000,000 buckets, was " + n);
        }
        this.width = width;
        this.buckets = (int) n;
        this.index = new long[buckets];
        Arrays.fill(index, Long.MIN_VALUE);
        this.sum = new double[buckets];
        this.count = new long[buckets];
        this.max = new double[buckets];
    }

    public long width() {
        return width;
    }

    /** How far back samples are kept. */
    public long retention() {
        return (buckets - 1) * width;
    }

    /** Adds a sample taken at {@code time}; a sample older than the retention (relative to the newest bucket) is ignored. */
    public void add(long time, double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("sample must be finite, was " + value);
        }
        long i = Math.floorDiv(time, width);
        int slot = (int) Math.floorMod(i, (long) buckets);
        if (index[slot] != i) {
            if (index[slot] > i) {
                return; // that slot already holds a newer bucket: the sample is past the retention
            }
            index[slot] = i;
            sum[slot] = 0;
            count[slot] = 0;
            max[slot] = Double.NEGATIVE_INFINITY;
        }
        sum[slot] += value;
        count[slot]++;
        max[slot] = Math.max(max[slot], value);
    }

    /**
     * The highest bucket mean among the buckets that overlap {@code (now - window, now]}: for a rate
     * sampled every few seconds, the peak of its per-bucket averages. Empty when no bucket there has
     * a sample.
     */
    public OptionalDouble peakMean(long now, long window) {
        double best = Double.NEGATIVE_INFINITY;
        boolean any = false;
        for (int s = 0; s < buckets; s++) {
            if (inWindow(s, now, window) && count[s] > 0) {
                best = Math.max(best, sum[s] / count[s]);
                any = true;
            }
        }
        return any ? OptionalDouble.of(best) : OptionalDouble.empty();
    }

    /** The highest sample in the buckets that overlap {@code (now - window, now]}; empty when there is none. */
    public OptionalDouble max(long now, long window) {
        double best = Double.NEGATIVE_INFINITY;
        boolean any = false;
        for (int s = 0; s < buckets; s++) {
            if (inWindow(s, now, window) && count[s] > 0) {
                best = Math.max(best, max[s]);
                any = true;
            }
        }
        return any ? OptionalDouble.of(best) : OptionalDouble.empty();
    }

    /** Samples in the buckets that overlap {@code (now - window, now]}. */
    public long count(long now, long window) {
        long n = 0;
        for (int s = 0; s < buckets; s++) {
            if (inWindow(s, now, window)) {
                n += count[s];
            }
        }
        return n;
    }

    /** The buckets overlapping the window, as {@code [bucket start, max]} pairs, oldest first (for publishing). */
    public List<double[]> maxima(long now, long window) {
        List<long[]> order = new ArrayList<>();
        for (int s = 0; s < buckets; s++) {
            if (inWindow(s, now, window) && count[s] > 0) {
                order.add(new long[] {index[s], s});
            }
        }
        order.sort(Comparator.comparingLong(a -> a[0]));
        List<double[]> out = new ArrayList<>(order.size());
        for (long[] o : order) {
            out.add(new double[] {o[0] * (double) width, max[(int) o[1]]});
        }
        return out;
    }

    private boolean inWindow(int slot, long now, long window) {
        long i = index[slot];
        if (i == Long.MIN_VALUE) {
            return false;
        }
        long newest = Math.floorDiv(now, width);
        long oldest = Math.max(newest - buckets + 1, Math.floorDiv(now - window, width));
        // A bucket overlaps (now - window, now] when it starts at or before now and ends after now - window.
        return i <= newest && i >= oldest && (i + 1) * width > now - window;
    }
}
