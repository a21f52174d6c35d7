package dev.modelmux.node.metrics;

import dev.modelmux.admin.LatencyWindow;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.CountAtBucket;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Per-model request rate and latency percentiles over the last minute, as this node measured them
 * (requests it received, forwarded or served), read off the request-duration histograms the
 * metrics already keep: nothing extra is recorded per request. Sampled every few seconds by the
 * owner; reads are safe from any thread.
 */
public final class ModelStats {
    static final String TIMER = "modelmux_inference_request_duration";
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(60);

    /** One model version's figures; percentiles in milliseconds, absent without traffic. */
    public record Figures(double rate, OptionalDouble p50Ms, OptionalDouble p99Ms, long count) {}

    private final MeterRegistry registry;
    private final LongSupplier nanoClock;
    private final String timer;
    private final Map<String, LatencyWindow> windows = new ConcurrentHashMap<>();
    private volatile Map<String, Figures> figures = Map.of();
    private long lastSample = -1;

    public ModelStats(MeterRegistry registry, LongSupplier nanoClock) {
        this(registry, nanoClock, TIMER);
    }

    /** Figures of another per-model timer with a percentile histogram (tags {@code model}, {@code version}). */
    public ModelStats(MeterRegistry registry, LongSupplier nanoClock, String timer) {
        this.registry = registry;
        this.nanoClock = nanoClock;
        this.timer = timer;
    }

    /** Takes one sample of every model's histogram. */
    public synchronized void sample() {
        long now = nanoClock.getAsLong();
        Map<String, Figures> out = new HashMap<>();
        for (Timer t : registry.find(timer).timers()) {
            String model = t.getId().getTag("model");
            String version = t.getId().getTag("version");
            if (model == null || version == null) {
                continue;
            }
            HistogramSnapshot snap = t.takeSnapshot();
            CountAtBucket[] buckets = snap.histogramCounts();
            double[] bounds = new double[buckets.length];
            double[] counts = new double[buckets.length];
            for (int i = 0; i < buckets.length; i++) {
                bounds[i] = buckets[i].bucket(TimeUnit.MILLISECONDS);
                counts[i] = buckets[i].count();
            }
            LatencyWindow w = windows.computeIfAbsent(model + ":" + version, k -> {
                // A timer is created by its first request, so everything it holds came after the last sample.
                LatencyWindow fresh = new LatencyWindow(WINDOW_NANOS);
                fresh.sample(lastSample < 0 ? now : lastSample, bounds, new double[bounds.length], 0);
                return fresh;
            });
            w.sample(now, bounds, counts, snap.count());
            out.put(
                    model + ":" + version,
                    new Figures(w.ratePerSecond(), w.percentile(0.5), w.percentile(0.99), w.count()));
        }
        figures = Map.copyOf(out);
        lastSample = now;
    }

    /** Names of the models with a request in the window, as of the last sample. */
    public Set<String> models() {
        Set<String> out = new TreeSet<>();
        figures.forEach((k, f) -> {
            if (f.count() > 0) {
                out.add(k.substring(0, k.lastIndexOf(':')));
            }
        });
        return out;
    }

    /** The busiest version's figures of a model over the window, if it had any request. */
    public Optional<Figures> of(String model) {
        Figures best = null;
        for (Map.Entry<String, Figures> e : figures.entrySet()) {
            if (e.getKey().startsWith(model + ":")
                    && e.getKey().lastIndexOf(':') == model.length()
                    && (best == null || e.getValue().count() > best.count())) {
                best = e.getValue();
            }
        }
        return Optional.ofNullable(best).filter(f -> f.count() > 0);
    }
}
