package dev.modelmux.placement;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * What placement knows about one model version from the catalog.
 *
 * @param predictedBytes footprint predicted before the first load (e.g. artifact size × factor)
 * @param measuredBytes footprint measured after a load, once known; it wins over the prediction
 * @param loadNanos measured time to load a copy, 0 if unknown
 * @param pinned keep at least one copy at all times; never evicted
 * @param minCopies keep at least this many copies at all times (placed eagerly, re-placed on node loss)
 * @param idleTtlNanos unload the model after this long without requests; 0 = never for idleness.
 *     Ignored for pinned models and models with {@code minCopies > 0}.
 */
public record ModelSpec(
        ModelKey key,
        long predictedBytes,
        OptionalLong measuredBytes,
        long loadNanos,
        boolean pinned,
        int minCopies,
        long idleTtlNanos) {

    public ModelSpec {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(measuredBytes, "measuredBytes");
        if (predictedBytes < 0) {
            throw new IllegalArgumentException(key + ": predictedBytes must be >= 0, was " + predictedBytes);
        }
        if (measuredBytes.isPresent() && measuredBytes.getAsLong() < 0) {
            throw new IllegalArgumentException(key + ": measuredBytes must be >= 0, was " + measuredBytes.getAsLong());
        }
        if (loadNanos < 0 || minCopies < 0 || idleTtlNanos < 0) {
            throw new IllegalArgumentException(key + ": loadNanos, minCopies and idleTtlNanos must be >= 0, were "
                    + loadNanos + ", " + minCopies + ", " + idleTtlNanos);
        }
    }

    /** An unpinned model with only a predicted size: no minimum copies, no idle TTL, load time unknown. */
    public static ModelSpec of(ModelKey key, long predictedBytes) {
        return new ModelSpec(key, predictedBytes, OptionalLong.empty(), 0, false, 0, 0);
    }

    /** The footprint placement plans with: measured if known, else predicted. */
    public long footprintBytes() {
        return measuredBytes.orElse(predictedBytes);
    }

    /** The fewest copies the model must have: {@code max(minCopies, pinned ? 1 : 0)}. */
    public int floorCopies() {
        return Math.max(minCopies, pinned ? 1 : 0);
    }

    public ModelSpec withMeasured(long bytes, long loadNanos) {
        return new ModelSpec(key, predictedBytes, OptionalLong.of(bytes), loadNanos, pinned, minCopies, idleTtlNanos);
    }

    public ModelSpec withPinned(boolean value) {
        return new ModelSpec(key, predictedBytes, measuredBytes, loadNanos, value, minCopies, idleTtlNanos);
    }

    public ModelSpec withMinCopies(int value) {
        return new ModelSpec(key, predictedBytes, measuredBytes, loadNanos, pinned, value, idleTtlNanos);
    }

    public ModelSpec withIdleTtl(long nanos) {
        return new ModelSpec(key, predictedBytes, measuredBytes, loadNanos, pinned, minCopies, nanos);
    }

    public ModelSpec withLoadNanos(long nanos) {
        return new ModelSpec(key, predictedBytes, measuredBytes, nanos, pinned, minCopies, idleTtlNanos);
    }
}
