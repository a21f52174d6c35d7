package dev.modelmux.node.path;

import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When a forwarded request also goes to a second holder (a hedge): after the model's recent p95 of
 * forward latency without an answer, and only while the model's hedge budget lasts. Each forwarded
 * request adds {@code share} of a token to the model's budget (capped at {@code burst}); a hedge spends
 * one. Hedges are thus at most {@code share} of a model's forwards in the long run, so hedging never
 * multiplies the load of an overloaded mesh; with too few samples to know the p95, nothing is hedged.
 * Thread-safe; no clock (the caller times the delay).
 */
public final class HedgePolicy {
    /** The defaults: 5% of forwards, a p95 over the last 128 answers, at least 32 of them, 1 ms at least. */
    public static HedgePolicy defaults() {
        return new HedgePolicy(0.05, 2.0, 128, 32, 1_000_000L);
    }

    private final double share;
    private final double burst;
    private final int window;
    private final int minSamples;
    private final long minDelayNanos;
    private final Map<String, ModelState> models = new ConcurrentHashMap<>();

    public HedgePolicy(double share, double burst, int window, int minSamples, long minDelayNanos) {
        if (share <= 0 || share > 1 || burst < 1 || window < 1 || minSamples < 1 || minSamples > window) {
            throw new IllegalArgumentException("hedge policy: share in (0, 1], burst >= 1, 1 <= minSamples <= window");
        }
        this.share = share;
        this.burst = burst;
        this.window = window;
        this.minSamples = minSamples;
        this.minDelayNanos = minDelayNanos;
    }

    /**
     * A forward of {@code model} starts: adds to its budget and says after how long it would be hedged
     * (empty: not enough answers seen yet to know).
     */
    public OptionalLong forwarding(String model) {
        ModelState s = models.computeIfAbsent(model, m -> new ModelState(window));
        synchronized (s) {
            s.tokens = Math.min(burst, s.tokens + share);
            if (s.count < minSamples) {
                return OptionalLong.empty();
            }
            return OptionalLong.of(Math.max(minDelayNanos, s.p95()));
        }
    }

    /** Whether a hedge of {@code model} may go now; spends a token when it may. */
    public boolean tryHedge(String model) {
        ModelState s = models.get(model);
        if (s == null) {
            return false;
        }
        synchronized (s) {
            if (s.tokens < 1) {
                return false;
            }
            s.tokens -= 1;
            return true;
        }
    }

    /** A forward of {@code model} was answered after {@code nanos} (the answer that was used). */
    public void answered(String model, long nanos) {
        ModelState s = models.computeIfAbsent(model, m -> new ModelState(window));
        synchronized (s) {
            s.samples[s.next] = nanos;
            s.next = (s.next + 1) % s.samples.length;
            s.count = Math.min(s.count + 1, s.samples.length);
            s.sorted = null;
        }
    }

    private static final class ModelState {
        final long[] samples;
        int next;
        int count;
        double tokens;
        long[] sorted;

        ModelState(int window) {
            this.samples = new long[window];
        }

        long p95() {
            if (sorted == null) {
                sorted = Arrays.copyOf(samples, count);
                Arrays.sort(sorted);
            }
            return sorted[Math.min(count - 1, (int) Math.ceil(0.95 * count) - 1)];
        }
    }
}
