package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSnapshot.State;
import dev.modelmux.repo.config.ModelConfig;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** Which of this node's devices a new load goes to (see {@link LocalPlacement#choose}). */
final class DevicePicker {
    private final PoolState state;
    private final RoomMaker room;
    private final BooleanSupplier cudaAvailable;

    DevicePicker(PoolState state, RoomMaker room, BooleanSupplier cudaAvailable) {
        this.state = state;
        this.room = room;
        this.cudaAvailable = cudaAvailable;
    }

    /**
     * The device for a new load, among CUDA devices for configs that allow a GPU when the CUDA
     * provider is present, else among the CPU devices. Caller holds the pool's lock.
     */
    PoolDevice choose(Optional<ModelConfig> config, long predicted) {
        List<PoolDevice> eligible = List.of();
        if (cudaAvailable.getAsBoolean() && LocalPlacement.gpuAllowed(config)) {
            eligible = state.devices.stream()
                    .filter(d -> d.spec.kind() == DeviceKind.CUDA)
                    .toList();
        }
        if (eligible.isEmpty()) {
            eligible = state.devices.stream()
                    .filter(d -> d.spec.kind() == DeviceKind.CPU)
                    .toList();
        }
        if (eligible.isEmpty()) {
            eligible = state.devices;
        }
        long now = state.clock.getAsLong();
        return LocalPlacement.choose(
                eligible,
                predicted,
                d -> d.ledger.freeBytes() - pendingBytes(d),
                d -> room.evictableBytes(d, now),
                d -> d.spec.capacityBytes());
    }

    /** Predicted bytes of loads queued on {@code d} that have not reserved yet. Caller holds the pool's lock. */
    private long pendingBytes(PoolDevice d) {
        long sum = 0;
        for (Slot s : state.slots.values()) {
            if (s.device == d && s.state == State.LOADING && !s.inLedger) {
                sum = sum + s.predictedBytes < sum ? Long.MAX_VALUE : sum + s.predictedBytes; // saturating
            }
        }
        return sum;
    }
}
