package dev.modelmux.placement.sim;

import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.sim.internal.ZipfTraceGenerator;
import java.util.List;
import java.util.Map;

/**
 * A sequence of requests and the models they name.
 *
 * @param accesses in time order
 * @param models every model of the trace with its measured size and load time
 */
public record Trace(List<Access> accesses, Map<ModelKey, ModelSpec> models) {
    public Trace {
        accesses = List.copyOf(accesses);
        models = Map.copyOf(models);
    }

    /** A seeded Zipf trace: the same config always gives the same trace. */
    public static Trace zipf(TraceConfig config) {
        return ZipfTraceGenerator.generate(config);
    }

    /** The sum of all models' footprints: what a cache would need to hold everything. */
    public long totalModelBytes() {
        long total = 0;
        for (ModelSpec m : models.values()) {
            total += m.footprintBytes();
        }
        return total;
    }
}
