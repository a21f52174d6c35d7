package dev.modelmux.cluster;

/**
 * What the mesh knows about the size and cost of one model version. The predicted size (from the
 * repository, before any load) and the measured size (after a real load) are kept apart; placement
 * should use {@link #footprintBytes()}.
 *
 * @param predictedBytes  size predicted before loading, or {@link #UNKNOWN}
 * @param measuredBytes   the largest size any load measured, or {@link #UNKNOWN} before the first
 * @param loadMillisTotal sum of measured load times over all samples
 * @param samples         number of measurements recorded
 */
public record CatalogEntry(long predictedBytes, long measuredBytes, long loadMillisTotal, long samples) {

    public static final long UNKNOWN = -1;

    public CatalogEntry {
        if (predictedBytes < UNKNOWN || measuredBytes < UNKNOWN || loadMillisTotal < 0 || samples < 0) {
            throw new IllegalArgumentException("catalog entry fields out of range");
        }
    }

    public static CatalogEntry predicted(long bytes) {
        return new CatalogEntry(bytes, UNKNOWN, 0, 0);
    }

    public boolean isMeasured() {
        return samples > 0;
    }

    /** The measured size once known, else the predicted one, else {@link #UNKNOWN}. */
    public long footprintBytes() {
        return isMeasured() ? measuredBytes : predictedBytes;
    }

    /** Mean measured load time, or {@link #UNKNOWN} before the first measurement. */
    public long meanLoadMillis() {
        return samples == 0 ? UNKNOWN : loadMillisTotal / samples;
    }
}
