package dev.modelmux.placement;

/**
 * Configuration of the {@link CopyScaler}.
 *
 * @param perCopyRate requests per second one copy should carry at most; past it, add copies
 *     (ModelMesh: 2,000 per minute)
 * @param scaleDownUtilization hysteresis: copies are removed only while the remaining ones would
 *     each carry less than {@code perCopyRate × scaleDownUtilization}; in (0, 1]
 * @param scaleDownDelayNanos a copy younger than this is never removed for low rate
 * @param maxCopies most copies of one model (a model's {@code minCopies} wins if higher)
 */
public record ScalerConfig(double perCopyRate, double scaleDownUtilization, long scaleDownDelayNanos, int maxCopies) {
    public static final double DEFAULT_PER_COPY_RATE = 2_000.0 / 60;
    public static final double DEFAULT_SCALE_DOWN_UTILIZATION = 0.5;
    public static final long DEFAULT_SCALE_DOWN_DELAY_NANOS = 120_000_000_000L;
    public static final int DEFAULT_MAX_COPIES = 16;

    public ScalerConfig {
        if (!(perCopyRate > 0) || Double.isInfinite(perCopyRate)) {
            throw new IllegalArgumentException("perCopyRate must be finite and > 0, was " + perCopyRate);
        }
        if (!(scaleDownUtilization > 0 && scaleDownUtilization <= 1)) {
            throw new IllegalArgumentException("scaleDownUtilization must be in (0, 1], was " + scaleDownUtilization);
        }
        if (scaleDownDelayNanos < 0) {
            throw new IllegalArgumentException("scaleDownDelayNanos must be >= 0, was " + scaleDownDelayNanos);
        }
        if (maxCopies < 1) {
            throw new IllegalArgumentException("maxCopies must be >= 1, was " + maxCopies);
        }
    }

    public static ScalerConfig defaults() {
        return new ScalerConfig(
                DEFAULT_PER_COPY_RATE,
                DEFAULT_SCALE_DOWN_UTILIZATION,
                DEFAULT_SCALE_DOWN_DELAY_NANOS,
                DEFAULT_MAX_COPIES);
    }
}
