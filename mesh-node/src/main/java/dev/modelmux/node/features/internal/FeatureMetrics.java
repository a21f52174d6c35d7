package dev.modelmux.node.features.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The feature store's meters; no label comes from a request. */
final class FeatureMetrics {
    private final Timer lookupOk;
    private final Timer lookupError;
    private final Counter requested;
    private final Counter misses;
    private final Counter timeouts;
    private final Counter errors;
    private final Counter cacheHits;
    private final DistributionSummary valueAge;

    FeatureMetrics(MeterRegistry registry) {
        lookupOk = lookupTimer(registry, "ok");
        lookupError = lookupTimer(registry, "error");
        requested = Counter.builder("modelmux_feature_values_requested")
                .description("Feature values requested (distinct per request)")
                .register(registry);
        misses = Counter.builder("modelmux_feature_misses")
                .description("Feature values the store does not hold (served the default)")
                .register(registry);
        timeouts = Counter.builder("modelmux_feature_timeouts")
                .description("Feature lookups that ran out of time (their values served as defaults)")
                .register(registry);
        errors = Counter.builder("modelmux_feature_errors")
                .description("Feature lookups that failed (their values served as defaults)")
                .register(registry);
        cacheHits = Counter.builder("modelmux_feature_cache_hits")
                .description("Feature values served from this node's cache")
                .register(registry);
        valueAge = DistributionSummary.builder("modelmux_feature_value_age")
                .baseUnit("milliseconds")
                .description("Age of served feature values, now minus their write time")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
    }

    private static Timer lookupTimer(MeterRegistry registry, String outcome) {
        return Timer.builder("modelmux_feature_lookup_duration")
                .description("Feature store lookups, request to answer")
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    void lookup(boolean ok, long nanos) {
        (ok ? lookupOk : lookupError).record(nanos, TimeUnit.NANOSECONDS);
    }

    void requested(int n) {
        requested.increment(n);
    }

    void misses(int n) {
        if (n > 0) {
            misses.increment(n);
        }
    }

    void timeout() {
        timeouts.increment();
    }

    void error() {
        errors.increment();
    }

    void cacheHits(int n) {
        if (n > 0) {
            cacheHits.increment(n);
        }
    }

    void age(long millis) {
        valueAge.record(millis);
    }
}
