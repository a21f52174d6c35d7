package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.ModelLoadException.Kind;
import dev.modelmux.gpu.PoolEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the parts of {@link OrtDevicePool} share: the devices, the slot table and the {@link #lock}
 * that guards every slot's state, the table and {@link #closing}. The lock is never held across
 * ONNX Runtime calls.
 */
final class PoolState {
    private static final Logger log = LoggerFactory.getLogger(PoolState.class);

    final Object lock = new Object();
    /** At most one slot per key, over all devices. Guarded by {@link #lock}. */
    final Map<ModelKey, Slot> slots = new HashMap<>();
    /** Non-null once close() has started. Guarded by {@link #lock}. */
    CompletableFuture<Boolean> closing;

    final List<PoolDevice> devices;
    final LongSupplier clock;
    private final PoolEvent.Listener listener;

    PoolState(List<PoolDevice> devices, LongSupplier clock, PoolEvent.Listener listener) {
        this.devices = List.copyOf(devices);
        this.clock = clock;
        this.listener = listener;
    }

    /** Caller holds {@link #lock}. */
    List<Slot> slotsOn(PoolDevice d) {
        List<Slot> out = new ArrayList<>();
        for (Slot s : slots.values()) {
            if (s.device == d) {
                out.add(s);
            }
        }
        return out;
    }

    /** The residents of {@code d} that hold bytes of its ledger, as eviction sees them. Caller holds {@link #lock}. */
    List<EvictionPolicy.Candidate> candidates(PoolDevice d) {
        List<EvictionPolicy.Candidate> out = new ArrayList<>();
        for (Slot s : slotsOn(d)) {
            if (s.inLedger) {
                out.add(s.candidate(d.ledger.bytesOf(s.key).orElse(0)));
            }
        }
        return out;
    }

    void publish(PoolEvent event) {
        try {
            listener.on(event);
        } catch (RuntimeException e) {
            log.warn("pool event listener failed on {}", event, e);
        }
    }

    static ModelLoadException shutdown(ModelKey key) {
        return ModelLoader.failure(Kind.SHUTDOWN, key, "the device pool is shutting down", null);
    }

    /** "12.0 MiB (12582912 bytes)": readable and exact. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " bytes";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], n);
    }
}
