package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSpec;

/** A device of the pool and what belongs to it: its memory ledger and its threads. */
final class PoolDevice {
    final DeviceSpec spec;
    final MemoryLedger ledger;
    final DeviceWorkers workers;

    PoolDevice(DeviceSpec spec, DeviceWorkers workers) {
        this.spec = spec;
        this.ledger = new MemoryLedger(spec.capacityBytes());
        this.workers = workers;
    }
}
