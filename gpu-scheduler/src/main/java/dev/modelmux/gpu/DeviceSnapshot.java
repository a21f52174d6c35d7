package dev.modelmux.gpu;

import java.util.List;

/**
 * A consistent view of one device's ledger: {@code usedBytes} by resident models (measured size
 * once known), {@code reservedBytes} held for loads in flight; free = capacity - used - reserved.
 */
public record DeviceSnapshot(DeviceSpec spec, long usedBytes, long reservedBytes, List<Resident> residents) {
    public DeviceSnapshot {
        residents = List.copyOf(residents);
    }

    public long freeBytes() {
        return spec.capacityBytes() - usedBytes - reservedBytes;
    }

    /** A model on the device and what it costs. */
    public record Resident(ModelKey key, State state, long bytes, boolean pinned, int inFlight, long lastUsedNanos) {}

    /** Lifecycle of a model on a device. */
    public enum State {
        LOADING,
        READY,
        UNLOADING
    }
}
