package dev.modelmux.cluster;

/**
 * One stored feature value and when it was written.
 *
 * @param value           the value (always finite)
 * @param updatedAtMillis epoch millis of the write, by the writer's clock; a reader's {@code now -
 *                        updatedAtMillis} is the value's age
 */
public record FeatureValue(double value, long updatedAtMillis) {

    public FeatureValue {
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("feature value must be finite, was " + value);
        }
    }
}
