package dev.modelmux.placement.capacity;

/**
 * How much headroom capacity advice keeps.
 *
 * @param targetUtilization the share of a copy's time it should be busy at peak, in {@code (0, 1]}:
 *     {@code 0.6} sizes for 60% busy copies
 * @param reactionSeconds   how long the mesh takes to notice a rise in traffic and start another
 *     copy; a model whose load takes at least this long gets one spare copy, {@code >= 0}
 */
public record CapacityPolicy(double targetUtilization, double reactionSeconds) {
    public static final double DEFAULT_TARGET_UTILIZATION = 0.6;
    /** The copy scaler acts every 2 s on rates its holders report every second, averaged here over 10 s buckets. */
    public static final double DEFAULT_REACTION_SECONDS = 10;

    public CapacityPolicy {
        if (!(targetUtilization > 0 && targetUtilization <= 1)) {
            throw new IllegalArgumentException("target_utilization: must be in (0, 1], was " + targetUtilization);
        }
        if (!(reactionSeconds >= 0) || Double.isInfinite(reactionSeconds)) {
            throw new IllegalArgumentException(
                    "reaction_time: must be a finite number of seconds >= 0, was " + reactionSeconds);
        }
    }

    public static CapacityPolicy defaults() {
        return new CapacityPolicy(DEFAULT_TARGET_UTILIZATION, DEFAULT_REACTION_SECONDS);
    }

    public CapacityPolicy withTargetUtilization(double u) {
        return new CapacityPolicy(u, reactionSeconds);
    }

    public CapacityPolicy withReactionSeconds(double s) {
        return new CapacityPolicy(targetUtilization, s);
    }
}
