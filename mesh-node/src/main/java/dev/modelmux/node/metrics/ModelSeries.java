package dev.modelmux.node.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Which meters carry which model label, when that model was last used, and their removal once it has
 * been idle for {@link #idleNanos} (no request, no load) or unloaded for {@link #unloadGraceNanos} with
 * no request since. Each model's entry is only touched inside the map's compute on its key, so a meter
 * noted while its model expires is either removed with it or starts the model's next entry.
 */
final class ModelSeries {
    private final MeterRegistry registry;
    private final Consumer<String> forget;
    private final long idleNanos;
    private final long unloadGraceNanos;
    private final ConcurrentHashMap<String, Usage> usage = new ConcurrentHashMap<>();

    /** @param forget drops what else is kept per model when its series go */
    ModelSeries(MeterRegistry registry, Consumer<String> forget, long idleNanos, long unloadGraceNanos) {
        this.registry = registry;
        this.forget = forget;
        this.idleNanos = idleNanos;
        this.unloadGraceNanos = unloadGraceNanos;
    }

    /** Notes {@code meter} as one of {@code model}'s; {@code use}: the model was used at {@code now}. */
    <M extends Meter> M tracked(String model, M meter, boolean use, long now) {
        usage.compute(model, (k, u) -> {
            Usage v = u == null ? new Usage(now) : u;
            v.ids.add(meter.getId());
            if (use) {
                v.lastUsed = now;
                v.unloaded = false;
            }
            return v;
        });
        return meter;
    }

    /** The model was unloaded at {@code now}: its series go after the grace unless it is used again. */
    void unloaded(String model, long now) {
        usage.computeIfPresent(model, (k, u) -> {
            u.unloaded = true;
            u.unloadedAt = now;
            return u;
        });
    }

    /** Removes the meters of every model expired at {@code now}. */
    void expire(long now) {
        for (String model : List.copyOf(usage.keySet())) {
            usage.computeIfPresent(model, (k, u) -> {
                if (now - u.lastUsed < idleNanos && !(u.unloaded && now - u.unloadedAt >= unloadGraceNanos)) {
                    return u;
                }
                u.ids.forEach(registry::remove);
                forget.accept(k);
                return null;
            });
        }
    }

    /** The model labels with meters now. */
    Set<String> models() {
        return Set.copyOf(usage.keySet());
    }

    /** One model label's meters and use; guarded by the map's lock on its key. */
    private static final class Usage {
        final Set<Meter.Id> ids = new HashSet<>();
        long lastUsed;
        long unloadedAt;
        boolean unloaded;

        Usage(long now) {
            lastUsed = now;
        }
    }
}
