package dev.modelmux.placement.sim;

import java.util.SplittableRandom;

/**
 * Shape of a synthetic trace.
 *
 * @param models distinct models
 * @param accesses requests in the trace
 * @param skew Zipf exponent of model popularity (0 = uniform, 1 = classic Zipf)
 * @param minBytes smallest model
 * @param maxBytes largest model; sizes are uniform in [minBytes, maxBytes], independent of popularity
 * @param loadNanosPerMiB load cost per MiB of model (load cost is proportional to size)
 * @param meanGapNanos mean time between requests (exponential gaps)
 * @param seed for the {@link SplittableRandom}
 */
public record TraceConfig(
        int models,
        int accesses,
        double skew,
        long minBytes,
        long maxBytes,
        long loadNanosPerMiB,
        long meanGapNanos,
        long seed) {
    public static final long MIB = 1L << 20;

    public TraceConfig {
        if (models < 1 || accesses < 0) {
            throw new IllegalArgumentException(
                    "models must be >= 1 and accesses >= 0, were " + models + ", " + accesses);
        }
        if (!(skew >= 0) || Double.isInfinite(skew)) {
            throw new IllegalArgumentException("skew must be finite and >= 0, was " + skew);
        }
        if (minBytes < 1 || maxBytes < minBytes || maxBytes == Long.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "need 1 <= minBytes <= maxBytes < Long.MAX_VALUE, were " + minBytes + ", " + maxBytes);
        }
        if (loadNanosPerMiB < 0 || meanGapNanos < 0) {
            throw new IllegalArgumentException("loadNanosPerMiB and meanGapNanos must be >= 0");
        }
    }

    /** Zipf(1.0) over 1,000 models of 1–40 MiB, 200,000 requests ~1 ms apart, 5 ms to load a MiB. */
    public static TraceConfig defaults() {
        return new TraceConfig(1_000, 200_000, 1.0, MIB, 40 * MIB, 5_000_000L, 1_000_000L, 42L);
    }

    public TraceConfig withSkew(double value) {
        return new TraceConfig(models, accesses, value, minBytes, maxBytes, loadNanosPerMiB, meanGapNanos, seed);
    }

    public TraceConfig withSize(int modelCount, int accessCount) {
        return new TraceConfig(modelCount, accessCount, skew, minBytes, maxBytes, loadNanosPerMiB, meanGapNanos, seed);
    }

    public TraceConfig withSeed(long value) {
        return new TraceConfig(models, accesses, skew, minBytes, maxBytes, loadNanosPerMiB, meanGapNanos, value);
    }
}
