package dev.modelmux.placement;

import java.util.Objects;

/**
 * One device of a node as the cluster last saw it.
 *
 * @param deviceId unique within its node
 * @param kind {@code "CPU"} or {@code "CUDA"} (any non-blank name is accepted)
 * @param capacityBytes the device's memory budget for models
 * @param usedBytes held by resident copies
 * @param reservedBytes set aside for loads and unloads in progress
 * @param inFlight requests running or queued on the device
 */
public record DeviceView(
        String deviceId, String kind, long capacityBytes, long usedBytes, long reservedBytes, int inFlight) {

    public DeviceView {
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(kind, "kind");
        if (deviceId.isBlank() || kind.isBlank()) {
            throw new IllegalArgumentException("deviceId and kind must not be blank");
        }
        if (capacityBytes < 0 || usedBytes < 0 || reservedBytes < 0 || inFlight < 0) {
            throw new IllegalArgumentException("device " + deviceId + ": capacityBytes, usedBytes, reservedBytes "
                    + "and inFlight must be >= 0, were " + capacityBytes + ", " + usedBytes + ", " + reservedBytes
                    + ", " + inFlight);
        }
    }

    public static DeviceView of(String deviceId, String kind, long capacityBytes, long usedBytes) {
        return new DeviceView(deviceId, kind, capacityBytes, usedBytes, 0, 0);
    }

    /** capacity − used − reserved, never negative (a device may be over-committed). */
    public long freeBytes() {
        long free = capacityBytes - usedBytes;
        return free <= 0 ? 0 : Math.max(0, free - reservedBytes);
    }

    /**
     * How far the device is over-committed, or minus its free bytes: used + reserved − capacity,
     * saturating instead of overflowing.
     */
    public long overCommitBytes() {
        long held = usedBytes + reservedBytes;
        if (held < 0) {
            held = Long.MAX_VALUE;
        }
        return held - capacityBytes;
    }

    /** (used + reserved) / capacity; 1.0 for a device with no capacity. */
    public double fillFraction() {
        return capacityBytes == 0 ? 1.0 : ((double) usedBytes + reservedBytes) / capacityBytes;
    }

    public DeviceView withMemory(long usedBytes, long reservedBytes) {
        return new DeviceView(deviceId, kind, capacityBytes, usedBytes, reservedBytes, inFlight);
    }
}
