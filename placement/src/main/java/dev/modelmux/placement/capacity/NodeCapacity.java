package dev.modelmux.placement.capacity;

import java.util.Objects;

/**
 * One node's memory, as input to {@link CapacityPlan#compute}.
 *
 * @param capacityBytes      the budgets of all its devices
 * @param usedBytes          memory its resident copies take (and loads reserve)
 * @param largestDeviceBytes the budget of its largest device (a copy lives on one device)
 * @param draining           leaving or drained by an operator: its memory does not count
 */
public record NodeCapacity(
        String nodeId, long capacityBytes, long usedBytes, long largestDeviceBytes, boolean draining) {
    public NodeCapacity {
        Objects.requireNonNull(nodeId, "nodeId");
        if (capacityBytes < 0 || usedBytes < 0 || largestDeviceBytes < 0 || largestDeviceBytes > capacityBytes) {
            throw new IllegalArgumentException(
                    "node " + nodeId + ": bytes must be >= 0 and the largest device within the capacity");
        }
    }
}
