package dev.modelmux.node.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Every model version's latencies as this node measured them, in the node's own fixed buckets: per
 * phase (the whole request, the wait for a device, the run) a cumulative histogram since the entry
 * was created, which {@code /metrics} renders, and for the request and the run a sliding window of
 * the last minute, which the admin view and the capacity advice read. A record costs one bucket
 * search over {@value #BUCKETS} bounds and a few increments under the entry's lock, whatever the
 * number of models; an entry holds about 4 KB. Entries are created by their first record and
 * dropped by {@link #forget} (the metrics drop a model's figures once it has been idle for a while).
 *
 * <p>The window is a ring of {@value #SLOTS} slots of {@link #SLOT_NANOS} each: the figures cover the
 * current slot and the ones before it, between 60 and 75 s. Time comes from the clock passed in.
 */
public final class ModelLatencies {
    /** The phases of a request that are timed. */
    public enum Phase {
        /** Receipt to answer (requests served here and requests forwarded to another node). */
        REQUEST(true),
        /** Waiting for a device thread (requests served here). */
        QUEUE(false),
        /** In the runtime (requests served here). */
        COMPUTE(true);

        final boolean windowed;

        Phase(boolean windowed) {
            this.windowed = windowed;
        }
    }

    /** Upper bounds of the buckets in seconds: 1, 1.5, 2.5, 4, 6 per decade from 10 µs to 60 s. */
    public static final double[] BOUNDS_SECONDS = bounds();
    /** Bounds in nanoseconds (what a record is searched in). */
    private static final long[] BOUNDS_NANOS =
            Arrays.stream(BOUNDS_SECONDS).mapToLong(s -> Math.round(s * 1e9)).toArray();
    /** Bounded buckets; one more counts what lies above the last bound. */
    static final int BUCKETS = 35;

    static final long SLOT_NANOS = 15_000_000_000L;
    static final int SLOTS = 5;

    /** One model version's figures over the window; percentiles in milliseconds, absent without values. */
    public record Figures(double rate, OptionalDouble p50Ms, OptionalDouble p99Ms, long count) {}

    /** A phase's cumulative histogram: values per bucket (the last one above every bound), their count and sum. */
    public record Cumulative(long[] buckets, long count, long sumNanos) {}

    private final LongSupplier nanoClock;
    private final ConcurrentHashMap<String, ConcurrentHashMap<String, Entry>> models = new ConcurrentHashMap<>();

    public ModelLatencies(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    private static double[] bounds() {
        double[] mantissas = {1, 1.5, 2.5, 4, 6};
        double[] out = new double[BUCKETS];
        int i = 0;
        for (int exp = -5; exp <= 1; exp++) {
            for (double m : mantissas) {
                // Parsed from text so the bounds print as written (0.0015, not 0.0015000000000000002).
                out[i++] = Double.parseDouble(m + "E" + exp);
            }
        }
        return out;
    }

    /** Records one value of {@code phase} for a model version. */
    public void record(String model, String version, Phase phase, long nanos) {
        long now = nanoClock.getAsLong();
        models.computeIfAbsent(model, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(version, k -> new Entry(now))
                .phases[phase.ordinal()]
                .record(Math.max(0, nanos), now);
    }

    /** Drops every version of {@code model}. */
    public void forget(String model) {
        models.remove(model);
    }

    /** The models with an entry. */
    public List<String> models() {
        return new ArrayList<>(models.keySet());
    }

    /** Values of {@code phase} recorded since each model's entries were created, summed over its versions. */
    public Map<String, Long> totals(Phase phase) {
        Map<String, Long> out = new HashMap<>();
        models.forEach((model, versions) -> {
            long n = 0;
            for (Entry e : versions.values()) {
                n += e.phases[phase.ordinal()].count();
            }
            out.put(model, n);
        });
        return out;
    }

    /** Calls {@code visit} with each model version's cumulative histogram of {@code phase} that holds a value. */
    public void forEach(Phase phase, Visitor visit) {
        models.forEach((model, versions) -> versions.forEach((version, e) -> {
            Cumulative c = e.phases[phase.ordinal()].cumulative();
            if (c.count() > 0) {
                visit.visit(model, version, c);
            }
        }));
    }

    /** What {@link #forEach} calls. */
    @FunctionalInterface
    public interface Visitor {
        void visit(String model, String version, Cumulative histogram);
    }

    /**
     * The figures over the window of each version of {@code model} that has a value in it, by version.
     *
     * @throws IllegalArgumentException for a phase without a window
     */
    public Map<String, Figures> window(String model, Phase phase) {
        if (!phase.windowed) {
            throw new IllegalArgumentException(phase + " keeps no window");
        }
        Map<String, Entry> versions = models.get(model);
        if (versions == null) {
            return Map.of();
        }
        long now = nanoClock.getAsLong();
        Map<String, Figures> out = new HashMap<>();
        versions.forEach((version, e) -> {
            Figures f = e.phases[phase.ordinal()].figures(e.created, now);
            if (f.count() > 0) {
                out.put(version, f);
            }
        });
        return out;
    }

    /** The bucket of a value: the first bound at or above it, or {@link #BUCKETS} above them all. */
    static int bucket(long nanos) {
        int i = Arrays.binarySearch(BOUNDS_NANOS, nanos);
        return i >= 0 ? i : -i - 1;
    }

    /**
     * The {@code q} quantile of the values counted in {@code buckets}, in milliseconds, interpolated
     * linearly within its bucket (the first bucket starts at 0); the last bound when it lies above them all.
     */
    static OptionalDouble quantileMs(long[] buckets, long n, double q) {
        if (n <= 0) {
            return OptionalDouble.empty();
        }
        double target = Math.max(1, Math.ceil(q * n));
        long below = 0;
        double lower = 0;
        for (int i = 0; i < BUCKETS; i++) {
            double upper = BOUNDS_SECONDS[i] * 1000;
            long upTo = below + buckets[i];
            if (upTo >= target) {
                double frac = buckets[i] == 0 ? 1 : (target - below) / buckets[i];
                return OptionalDouble.of(lower + frac * (upper - lower));
            }
            below = upTo;
            lower = upper;
        }
        return OptionalDouble.of(BOUNDS_SECONDS[BUCKETS - 1] * 1000);
    }

    /** One model version. */
    private static final class Entry {
        final long created;
        final Latency[] phases = new Latency[Phase.values().length];

        Entry(long created) {
            this.created = created;
            for (Phase p : Phase.values()) {
                phases[p.ordinal()] = new Latency(p.windowed);
            }
        }
    }

    /** One phase of one model version: the cumulative histogram and, if kept, the window's ring of slots. */
    private static final class Latency {
        private final long[] buckets = new long[BUCKETS + 1];
        private long count;
        private long sumNanos;
        private final long[][] slots;
        private final long[] slotEpochs;

        Latency(boolean windowed) {
            slots = windowed ? new long[SLOTS][BUCKETS + 1] : null;
            slotEpochs = windowed ? new long[SLOTS] : null;
            if (windowed) {
                Arrays.fill(slotEpochs, Long.MIN_VALUE);
            }
        }

        synchronized void record(long nanos, long now) {
            int b = bucket(nanos);
            buckets[b]++;
            count++;
            sumNanos += nanos;
            if (slots != null) {
                long epoch = Math.floorDiv(now, SLOT_NANOS);
                int i = (int) Math.floorMod(epoch, (long) SLOTS);
                if (slotEpochs[i] != epoch) {
                    Arrays.fill(slots[i], 0);
                    slotEpochs[i] = epoch;
                }
                slots[i][b]++;
            }
        }

        synchronized long count() {
            return count;
        }

        synchronized Cumulative cumulative() {
            return new Cumulative(buckets.clone(), count, sumNanos);
        }

        Figures figures(long created, long now) {
            long epoch = Math.floorDiv(now, SLOT_NANOS);
            long[] merged = new long[BUCKETS + 1];
            long n = 0;
            synchronized (this) {
                for (int i = 0; i < SLOTS; i++) {
                    if (slotEpochs[i] > epoch - SLOTS && slotEpochs[i] <= epoch) {
                        for (int b = 0; b <= BUCKETS; b++) {
                            merged[b] += slots[i][b];
                            n += slots[i][b];
                        }
                    }
                }
            }
            long windowStart = (epoch - SLOTS + 1) * SLOT_NANOS;
            long span = now - Math.max(created, windowStart);
            double rate = span <= 0 ? 0 : n * 1e9 / span;
            return new Figures(rate, quantileMs(merged, n, 0.5), quantileMs(merged, n, 0.99), n);
        }
    }
}
