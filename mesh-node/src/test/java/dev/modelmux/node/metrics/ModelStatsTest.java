package dev.modelmux.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ModelStatsTest {

    @Test
    void percentilesAndRateComeFromTheRequestHistogramsOverTheWindow() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NodeMetrics metrics = new NodeMetrics(registry);
        AtomicLong clock = new AtomicLong();
        ModelStats stats = new ModelStats(registry, clock::get);
        metrics.request(
                "rest", "m", "1", "success", 1_000_000, 0, 0); // a timer is born with its first request: counted
        stats.sample();
        clock.addAndGet(1_000_000_000L);
        metrics.request("rest", "n", "1", "success", 1_000_000, 0, 0); // a model first seen between samples
        stats.sample();
        for (int i = 0; i < 98; i++) {
            metrics.request("rest", "m", "1", "success", 2_000_000, 0, 0);
        }
        metrics.request("rest", "m", "1", "forwarded", 400_000_000, 0, 0);
        metrics.request("rest", "m", "1", "forwarded", 400_000_000, 0, 0);
        metrics.request("rest", "m", "1", "invalid", 1, 0, 0); // failures are not timed
        clock.addAndGet(10_000_000_000L);
        stats.sample();

        ModelStats.Figures f = stats.of("m").orElseThrow();
        assertThat(f.count()).isEqualTo(101);
        assertThat(f.rate()).isEqualTo(101 / 11.0);
        assertThat(f.p50Ms().getAsDouble()).isBetween(1.0, 3.0);
        assertThat(f.p99Ms().getAsDouble()).isBetween(200.0, 500.0);
        assertThat(stats.of("n").orElseThrow().count()).isEqualTo(1);
        assertThat(stats.of("mm")).isEmpty();
        assertThat(stats.of("other")).isEmpty();
    }
}
