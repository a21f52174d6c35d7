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
 */
public record PoolConfig(
        List<DeviceSpec> devices, double footprintFactor, int intraOpThreads, long evictionGuardNanos) {
    public static final double DEFAULT_FOOTPRINT_FACTOR = 1.5;

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
    }
}
