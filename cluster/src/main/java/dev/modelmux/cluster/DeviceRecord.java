package dev.modelmux.cluster;

import java.util.Objects;

/**
 * One device of a node as the node reports it. Bytes are {@code long}: used and reserved are the
 * node's memory ledger (reserved = loads and unloads in flight), so free space is
 * {@code capacity - used - reserved}.
 *
 * @param kind     what the device is, e.g. {@code cpu} or {@code cuda}
 * @param inFlight requests running or queued on the device
 */
public record DeviceRecord(
        String deviceId, String kind, long capacityBytes, long usedBytes, long reservedBytes, int inFlight) {

    public DeviceRecord {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(kind, "kind");
        if (capacityBytes < 0 || usedBytes < 0 || reservedBytes < 0 || inFlight < 0) {
            throw new IllegalArgumentException("device " + deviceId + ": sizes and in-flight count must be >= 0");
        }
    }

    /** Capacity left after used and reserved bytes; negative when the device is over-committed. */
    public long freeBytes() {
        return capacityBytes - usedBytes - reservedBytes;
    }
}
