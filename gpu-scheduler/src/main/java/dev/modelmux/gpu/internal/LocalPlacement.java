package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInstanceGroup;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * Where a load goes among this node's devices, and how big it is predicted to be. Pure: the
 * pool passes in what its ledgers and residents say.
 */
final class LocalPlacement {
    private LocalPlacement() {}

    /** The predicted footprint ({@link ModelConfigs#predictedBytes}). */
    static long predict(LoadSpec spec, double footprintFactor) {
        return ModelConfigs.predictedBytes(spec.config(), spec.artifactSizeBytes(), footprintFactor);
    }

    /** Whether a config lets the model run on a GPU: an instance_group of kind GPU or AUTO, or none. */
    static boolean gpuAllowed(Optional<ModelConfig> config) {
        return config.map(c -> c.getInstanceGroupCount() == 0
                        || c.getInstanceGroupList().stream()
                                .anyMatch(g -> g.getKind() == ModelInstanceGroup.Kind.KIND_GPU
                                        || g.getKind() == ModelInstanceGroup.Kind.KIND_AUTO))
                .orElse(true);
    }

    /**
     * Of the {@code eligible} devices where {@code predicted} fits in the free bytes plus what
     * eviction could free, the one with most free bytes (the first on ties). If it fits nowhere, the
     * one with the largest capacity, whose load then fails with NO_CAPACITY and a message about it.
     *
     * @param free free bytes, less loads queued there that have not reserved yet (may be negative)
     */
    static <D> D choose(
            List<D> eligible,
            long predicted,
            ToLongFunction<D> free,
            ToLongFunction<D> evictable,
            ToLongFunction<D> capacity) {
        if (eligible.isEmpty()) {
            throw new IllegalArgumentException("no eligible device");
        }
        D best = null;
        long bestFree = 0;
        for (D d : eligible) {
            long f = free.applyAsLong(d);
            boolean fits;
            try {
                // predicted <= free + evictable, without the sum overflowing.
                fits = Math.subtractExact(predicted, f) <= evictable.applyAsLong(d);
            } catch (ArithmeticException overflow) {
                fits = false; // predicted is far above a (very negative) free: it does not fit
            }
            if (fits && (best == null || f > bestFree)) {
                best = d;
                bestFree = f;
            }
        }
        if (best != null) {
            return best;
        }
        D largest = eligible.get(0);
        for (D d : eligible) {
            if (capacity.applyAsLong(d) > capacity.applyAsLong(largest)) {
                largest = d;
            }
        }
        return largest;
    }
}
