package dev.modelmux.placement;

/**
 * Configuration of the cost-aware {@link Evictor}.
 *
 * @param minResidencyNanos churn guard: a copy loaded less than this long ago is never evicted
 *     (ModelMesh uses ~10 minutes; our loads are cheaper to redo, so the default is 60 s)
 * @param assumedLoadBytesPerSecond load speed assumed for a model whose load time was never
 *     measured, so an unknown cost is not mistaken for a free one
 */
public record EvictorConfig(long minResidencyNanos, long assumedLoadBytesPerSecond) {
    public static final long DEFAULT_MIN_RESIDENCY_NANOS = 60_000_000_000L;
    public static final long DEFAULT_ASSUMED_LOAD_BYTES_PER_SECOND = 256L << 20;

    public EvictorConfig {
        if (minResidencyNanos < 0) {
            throw new IllegalArgumentException("minResidencyNanos must be >= 0, was " + minResidencyNanos);
        }
        if (assumedLoadBytesPerSecond < 1) {
            throw new IllegalArgumentException(
                    "assumedLoadBytesPerSecond must be >= 1, was " + assumedLoadBytesPerSecond);
        }
    }

    public static EvictorConfig defaults() {
        return new EvictorConfig(DEFAULT_MIN_RESIDENCY_NANOS, DEFAULT_ASSUMED_LOAD_BYTES_PER_SECOND);
    }

    public EvictorConfig withMinResidencyNanos(long nanos) {
        return new EvictorConfig(nanos, assumedLoadBytesPerSecond);
    }
}
