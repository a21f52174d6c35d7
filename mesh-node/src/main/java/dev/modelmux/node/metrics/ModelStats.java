package dev.modelmux.node.metrics;

import dev.modelmux.node.metrics.ModelLatencies.Figures;
import dev.modelmux.node.metrics.ModelLatencies.Phase;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Per-model request rate and latency percentiles over the last minute, as this node measured them,
 * read from the node's own windows ({@link ModelLatencies}), never from the Prometheus series:
 * {@link Phase#REQUEST} (requests it received, served or forwarded: the admin view) or {@link
 * Phase#COMPUTE} (time in the runtime of requests served here: the capacity advice). Reads are safe from
 * any thread and cost one pass over the model's window.
 */
public final class ModelStats {
    private final ModelLatencies latencies;
    private final Phase phase;

    public ModelStats(ModelLatencies latencies, Phase phase) {
        if (!phase.windowed) {
            throw new IllegalArgumentException(phase + " keeps no window");
        }
        this.latencies = latencies;
        this.phase = phase;
    }

    /** Names of the models with a value in the window. */
    public Set<String> models() {
        Set<String> out = new TreeSet<>();
        for (String m : latencies.models()) {
            if (!latencies.window(m, phase).isEmpty()) {
                out.add(m);
            }
        }
        return out;
    }

    /** The busiest version's figures of a model over the window, if it had any value. */
    public Optional<Figures> of(String model) {
        Figures best = null;
        for (Figures f : latencies.window(model, phase).values()) {
            if (best == null || f.count() > best.count()) {
                best = f;
            }
        }
        return Optional.ofNullable(best);
    }
}
