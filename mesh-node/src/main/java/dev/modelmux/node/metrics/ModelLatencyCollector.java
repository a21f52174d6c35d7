package dev.modelmux.node.metrics;

import dev.modelmux.node.metrics.ModelLatencies.Cumulative;
import dev.modelmux.node.metrics.ModelLatencies.Phase;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Renders the per-model latency histograms ({@code modelmux_inference_{request,queue,compute}_duration_seconds}
 * with labels {@code model} and {@code version}) from {@link ModelLatencies} at scrape time, so no meter
 * per model is kept for them. A model with full histograms ({@code histograms} accepts it) gets every
 * bucket of the node's windows in all three; any other model gets only the request latency, in the
 * buckets {@link #SLO_SECONDS}: the same metric type either way, so a model moving in or out of the
 * busiest set changes its buckets, never its type, and its counts carry on.
 */
final class ModelLatencyCollector implements MultiCollector {
    /** The request-latency buckets every model gets, in seconds (each is one of the windows' bounds). */
    static final double[] SLO_SECONDS = {0.01, 0.1, 1};

    private static final String[] NAMES = {
        "modelmux_inference_request_duration_seconds",
        "modelmux_inference_queue_duration_seconds",
        "modelmux_inference_compute_duration_seconds"
    };
    private static final String[] HELP = {
        "Request latency, receipt to answer", "Time waiting for a device thread", "Time in the runtime"
    };

    private final ModelLatencies latencies;
    private final Predicate<String> histograms;

    ModelLatencyCollector(ModelLatencies latencies, Predicate<String> histograms) {
        this.latencies = latencies;
        this.histograms = histograms;
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(NAMES);
    }

    @Override
    public MetricSnapshots collect() {
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        for (Phase phase : Phase.values()) {
            HistogramSnapshot.Builder family = HistogramSnapshot.builder()
                    .name(NAMES[phase.ordinal()])
                    .help(HELP[phase.ordinal()])
                    .unit(Unit.SECONDS);
            List<HistogramSnapshot.HistogramDataPointSnapshot> points = new ArrayList<>();
            latencies.forEach(phase, (model, version, c) -> {
                double[] bounds = boundsOf(phase, model);
                if (bounds != null) {
                    points.add(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .classicHistogramBuckets(buckets(c, bounds))
                            .sum(c.sumNanos() / 1e9)
                            .labels(Labels.of("model", model, "version", version))
                            .build());
                }
            });
            if (!points.isEmpty()) {
                points.forEach(family::dataPoint);
                out.metricSnapshot(family.build());
            }
        }
        return out.build();
    }

    /** Which bounds a model's series of a phase carries: all, the SLO ones, or null for no series. */
    private double[] boundsOf(Phase phase, String model) {
        if (histograms.test(model)) {
            return ModelLatencies.BOUNDS_SECONDS;
        }
        return phase == Phase.REQUEST ? SLO_SECONDS : null;
    }

    /** {@code c}'s buckets folded into {@code bounds} (each one of the windows' bounds), then +Inf. */
    static ClassicHistogramBuckets buckets(Cumulative c, double[] bounds) {
        double[] upper = new double[bounds.length + 1];
        long[] counts = new long[bounds.length + 1];
        int b = 0;
        long[] fine = c.buckets();
        for (int i = 0; i < fine.length; i++) {
            while (b < bounds.length
                    && i < ModelLatencies.BOUNDS_SECONDS.length
                    && ModelLatencies.BOUNDS_SECONDS[i] > bounds[b]) {
                b++;
            }
            counts[i < ModelLatencies.BOUNDS_SECONDS.length ? b : bounds.length] += fine[i];
        }
        System.arraycopy(bounds, 0, upper, 0, bounds.length);
        upper[bounds.length] = Double.POSITIVE_INFINITY;
        return ClassicHistogramBuckets.of(upper, counts);
    }
}
