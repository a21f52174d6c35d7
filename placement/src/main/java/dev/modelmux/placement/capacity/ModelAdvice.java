package dev.modelmux.placement.capacity;

import java.util.Locale;
import java.util.OptionalDouble;

/**
 * The advice for one model (see {@link CapacityPlan#compute} for the arithmetic).
 *
 * @param baseCopies       copies the traffic keeps busy at the target utilization
 * @param loadHeadroom     1 when the model loads too slowly for the mesh to add a copy in time, else 0
 * @param failoverHeadroom copies more so that losing the node with the most of them still leaves {@code base + load}
 * @param requiredCopies   {@code max(floor, base + load + failover)}
 * @param requiredBytes    {@code requiredCopies × bytesPerCopy}
 * @param fitsOnADevice    whether one copy fits on the largest device of a node that is not draining
 * @param note             what the figures lacked, empty when nothing
 */
public record ModelAdvice(
        String model,
        double peakQps,
        double currentQps,
        OptionalDouble p99Seconds,
        OptionalDouble loadSeconds,
        double extraTrafficShare,
        int baseCopies,
        int loadHeadroom,
        int failoverHeadroom,
        int floorCopies,
        int requiredCopies,
        int currentCopies,
        long bytesPerCopy,
        long requiredBytes,
        boolean fitsOnADevice,
        Status status,
        String note) {

    /** Whether the model has fewer copies than it needs, more than it needs, or about right. */
    public enum Status {
        UNDER_PROVISIONED,
        OVER_PROVISIONED,
        OK;

        /** The JSON spelling: {@code under_provisioned}, {@code over_provisioned}, {@code ok}. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
