package dev.modelmux.node.path;

/**
 * Whether a model version batching {@code auto} runs batched on one device of this node, and why
 * (admission's {@code BatchDecider}).
 *
 * @param decision {@code BATCH} or {@code SINGLE}: how its next request runs
 * @param phase {@code MEASURE}, {@code PROBE} (trying the other way) or {@code STEADY}
 * @param singleMicrosPerRow busy time per row unbatched in the last window measured; NaN before one
 * @param batchMicrosPerRow the same batched; NaN before one
 * @param comparisons comparisons made since the device first ran the model (or since it was forgotten)
 * @param reason the last decision in words
 */
public record BatchingState(
        String model,
        long version,
        String device,
        String decision,
        String phase,
        double singleMicrosPerRow,
        double batchMicrosPerRow,
        int comparisons,
        String reason) {}
