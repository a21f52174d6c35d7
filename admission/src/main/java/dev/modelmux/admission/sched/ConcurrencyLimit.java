package dev.modelmux.admission.sched;

import java.util.Objects;

/**
 * Adaptive concurrency limit for one device, TCP-Vegas style (after Netflix concurrency-limits'
 * {@code VegasLimit}): the queue the device is building is estimated as
 * {@code limit * (1 - rttNoLoad / rtt)}; below {@code alpha} the limit grows by one, above
 * {@code beta} it shrinks by one, a drop multiplies it by {@code backoffRatio}. The new value is
 * blended in by {@code smoothing} and clamped to [min, max].
 *
 * <p>{@code rttNoLoad} is the smallest RTT seen; it is re-probed (reset to the current sample)
 * every {@code probeEverySamples} samples so a lasting change in the model's cost is learned.
 * Pure arithmetic: time and measurements are arguments. Not thread-safe.
 */
public final class ConcurrencyLimit {

    public record Config(
            int initialLimit,
            int minLimit,
            int maxLimit,
            int alpha,
            int beta,
            double smoothing,
            double backoffRatio,
            int probeEverySamples) {
        public Config {
            if (minLimit < 1) {
                throw new IllegalArgumentException("minLimit must be >= 1, was " + minLimit);
            }
            if (maxLimit < minLimit) {
                throw new IllegalArgumentException("maxLimit must be >= minLimit, was " + maxLimit);
            }
            if (initialLimit < minLimit || initialLimit > maxLimit) {
                throw new IllegalArgumentException("initialLimit must be in [minLimit, maxLimit], was " + initialLimit);
            }
            if (alpha < 0 || beta <= alpha) {
                throw new IllegalArgumentException("need 0 <= alpha < beta, was alpha=" + alpha + " beta=" + beta);
            }
            if (!(smoothing > 0 && smoothing <= 1)) {
                throw new IllegalArgumentException("smoothing must be in (0, 1], was " + smoothing);
            }
            if (!(backoffRatio > 0 && backoffRatio < 1)) {
                throw new IllegalArgumentException("backoffRatio must be in (0, 1), was " + backoffRatio);
            }
            if (probeEverySamples < 1) {
                throw new IllegalArgumentException("probeEverySamples must be >= 1, was " + probeEverySamples);
            }
        }

        public static Config defaults() {
            return new Config(20, 1, 1000, 3, 6, 1.0, 0.9, 1000);
        }
    }

    private final Config config;
    private double limit;
    private long rttNoLoad;
    private long samples;

    private ConcurrencyLimit(Config config) {
        this.config = Objects.requireNonNull(config, "config");
        this.limit = config.initialLimit();
    }

    public static ConcurrencyLimit create(Config config) {
        return new ConcurrencyLimit(config);
    }

    /**
     * Records one finished request.
     *
     * @param startNanos when it started (kept for parity with concurrency-limits; unused by Vegas)
     * @param rttNanos how long it ran; non-positive samples are ignored
     * @param inFlight requests in flight when it started
     * @param dropped whether it was dropped, timed out or failed for overload
     */
    public void onSample(long startNanos, long rttNanos, int inFlight, boolean dropped) {
        if (rttNanos <= 0) {
            return;
        }
        samples++;
        if (rttNoLoad == 0 || rttNanos < rttNoLoad || samples % config.probeEverySamples() == 0) {
            rttNoLoad = rttNanos;
        }
        double target;
        if (dropped) {
            target = limit * config.backoffRatio();
        } else if (inFlight * 2 < limit) {
            return; // app-limited: too little load to learn anything about the device
        } else {
            double queue = Math.ceil(limit * (1 - (double) rttNoLoad / rttNanos));
            if (queue <= config.alpha()) {
                target = limit + 1;
            } else if (queue >= config.beta()) {
                target = limit - 1;
            } else {
                return;
            }
        }
        double blended = limit + config.smoothing() * (target - limit);
        limit = Math.max(config.minLimit(), Math.min(config.maxLimit(), blended));
    }

    /** Current limit, within [minLimit, maxLimit]. */
    public int limit() {
        return (int) Math.round(limit);
    }
}
