package dev.modelmux.gpu;

import java.util.Objects;

/**
 * A device of this node: {@code id} is unique on the node ({@code cpu0}, {@code cpu1}, {@code cuda0}),
 * {@code ordinal} is the CUDA device index (0 for CPU devices), {@code capacityBytes} the memory
 * budget that the ledger enforces, {@code concurrency} how many inferences may run on it at once.
 */
public record DeviceSpec(String id, DeviceKind kind, int ordinal, long capacityBytes, int concurrency) {
    /** A CPU device: host memory under {@code capacityBytes}, {@code concurrency} inference threads. */
    public static DeviceSpec cpu(String id, long capacityBytes, int concurrency) {
        return new DeviceSpec(id, DeviceKind.CPU, 0, capacityBytes, concurrency);
    }

    public DeviceSpec {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("device " + id + ": capacity must be > 0 bytes, was " + capacityBytes);
        }
        if (concurrency <= 0) {
            throw new IllegalArgumentException("device " + id + ": concurrency must be > 0, was " + concurrency);
        }
        if (ordinal < 0) {
            throw new IllegalArgumentException("device " + id + ": ordinal must be >= 0, was " + ordinal);
        }
    }
}
