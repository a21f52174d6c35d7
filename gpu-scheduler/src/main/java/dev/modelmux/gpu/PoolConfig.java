package dev.modelmux.gpu;

import java.util.List;
import java.util.Objects;

/**
 * Immutable configuration of a node's device pool.
 *
 * @param devices the devices; at least one
 * @param footprintFactor predicted footprint = artifact bytes x this factor, unless the model's
 *     config has a {@code memory_bytes} parameter
 * @param intraOpThreads threads in ONNX Runtime's global intra-op pool, shared by every session
 * @param evictionGuardNanos a model loaded less than this long ago is not evicted to make room
 *     for another (churn guard); 0 disables it
 * @param runMemoryLimitBytes the most one run may allocate for an output it sizes from the request's
 *     values (see {@link #runLimitBytes}); 0 for each device's capacity
 */
public record PoolConfig(
        List<DeviceSpec> devices,
        double footprintFactor,
        int intraOpThreads,
        long evictionGuardNanos,
        long runMemoryLimitBytes) {
    public static final double DEFAULT_FOOTPRINT_FACTOR = 1.5;

    /** As the canonical constructor, each device's run limit being its capacity. */
    public PoolConfig(List<DeviceSpec> devices, double footprintFactor, int intraOpThreads, long evictionGuardNanos) {
        this(devices, footprintFactor, intraOpThreads, evictionGuardNanos, 0);
    }

    /**
     * The given devices with the default footprint factor, one global intra-op thread per
     * available processor, and no churn guard.
     */
    public static PoolConfig of(List<DeviceSpec> devices) {
        return new PoolConfig(
                devices,
                DEFAULT_FOOTPRINT_FACTOR,
                Math.max(1, Runtime.getRuntime().availableProcessors()),
                0);
    }

    public PoolConfig {
        devices = List.copyOf(Objects.requireNonNull(devices, "devices"));
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("at least one device is required");
        }
        if (devices.stream().map(DeviceSpec::id).distinct().count() != devices.size()) {
            throw new IllegalArgumentException("device ids must be unique: " + devices);
        }
        if (!(footprintFactor >= 1.0 && footprintFactor <= 100)) {
            throw new IllegalArgumentException("footprint factor must be in [1, 100], was " + footprintFactor);
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op threads must be >= 1, was " + intraOpThreads);
        }
        if (evictionGuardNanos < 0) {
            throw new IllegalArgumentException("eviction guard must be >= 0");
        }
        if (runMemoryLimitBytes < 0) {
            throw new IllegalArgumentException(
                    "run memory limit must be >= 0 (0: the device's capacity), was " + runMemoryLimitBytes);
        }
    }

    /**
     * The device's run limit: the most one run on it may allocate for an output that the graph sizes
     * from the request's values ({@code ConstantOfShape}, {@code Expand}, {@code Tile}, {@code Range},
     * {@code Resize}); a run that would need more is refused before it starts. The device's capacity
     * unless {@link #runMemoryLimitBytes} is set lower.
     */
    public long runLimitBytes(DeviceSpec device) {
        return runMemoryLimitBytes == 0
                ? device.capacityBytes()
                : Math.min(runMemoryLimitBytes, device.capacityBytes());
    }
}
