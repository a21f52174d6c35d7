package dev.modelmux.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.PoolEvent;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class NodeMetricsTest {
    private final AtomicLong clock = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    private NodeMetrics metrics(String histograms) {
        return new NodeMetrics(registry, ModelHistograms.parse(histograms), clock::get);
    }

    /** What a request served here leaves behind for {@code model}. */
    private static void serve(NodeMetrics m, String model) {
        m.admitted("t", model);
        m.dispatched(new Caller("t", Caller.DEFAULT.priority(), 10, 256), new ModelKey(model, 1), 1_000_000);
        m.request("rest", model, "1", "success", 5_000_000, 1_000_000, 3_000_000);
        m.tenantRequest("t", model, "success", 5_000_000);
    }

    /** The scrape's lines that carry {@code model}'s label. */
    private List<String> lines(String model) {
        return registry.scrape()
                .lines()
                .filter(l -> l.contains("model=\"" + model + "\""))
                .toList();
    }

    private static void advance(AtomicLong clock, long minutes) {
        clock.addAndGet(TimeUnit.MINUTES.toNanos(minutes));
    }

    @Test
    void aModelsSeriesAreRemovedOnceItHasBeenIdleForFifteenMinutes() {
        NodeMetrics m = metrics("none");
        serve(m, "a");
        serve(m, "b");
        advance(clock, 10);
        serve(m, "b");
        advance(clock, 5);
        m.maintain();
        assertThat(lines("a")).isEmpty();
        assertThat(lines("b")).isNotEmpty();
        assertThat(m.trackedModels()).containsExactly("b");
        assertThat(m.latencies().models()).containsExactly("b");

        serve(m, "a"); // back in use: its series start again from zero
        assertThat(lines("a"))
                .contains("modelmux_inference_requests_total{model=\"a\",outcome=\"success\","
                        + "protocol=\"rest\",version=\"1\"} 1.0");
        advance(clock, 15);
        m.maintain();
        assertThat(lines("a")).isEmpty();
        assertThat(lines("b")).isEmpty();
        assertThat(m.trackedModels()).isEmpty();
        // what is not per model stays: the tenant's histograms, over all models
        assertThat(registry.scrape()).contains("modelmux_tenant_request_duration_seconds_count{tenant=\"t\"} 4");
    }

    @Test
    void anUnloadedModelsSeriesGoAfterTheGraceForALastScrape() {
        NodeMetrics m = metrics("none");
        ModelKey a = new ModelKey("a", 1);
        m.on(new PoolEvent.Loaded(a, "cpu0", 100, 100, 1_000_000));
        serve(m, "a");
        m.on(new PoolEvent.Unloaded(a, "cpu0", 100));
        m.maintain();
        assertThat(lines("a")).contains("modelmux_model_unloads_total{device=\"cpu0\",model=\"a\",version=\"1\"} 1.0");
        advance(clock, 1);
        m.maintain();
        assertThat(lines("a")).isNotEmpty();
        advance(clock, 1);
        m.maintain();
        assertThat(lines("a")).isEmpty();
        assertThat(m.trackedModels()).isEmpty();
    }

    @Test
    void aRequestAfterTheUnloadKeepsTheSeries() {
        NodeMetrics m = metrics("none");
        ModelKey a = new ModelKey("a", 1);
        m.on(new PoolEvent.Loaded(a, "cpu0", 100, 100, 1_000_000));
        m.on(new PoolEvent.Unloaded(a, "cpu0", 100));
        advance(clock, 1);
        serve(m, "a");
        advance(clock, 5);
        m.maintain();
        assertThat(lines("a")).isNotEmpty();
        advance(clock, 10);
        m.maintain();
        assertThat(lines("a")).isEmpty();
    }

    @Test
    void anEvictionIsNotAUse() {
        NodeMetrics m = metrics("none");
        serve(m, "a");
        advance(clock, 14);
        m.on(new PoolEvent.Evicted(new ModelKey("a", 1), "cpu0", 100, new ModelKey("b", 1)));
        advance(clock, 1);
        m.maintain();
        assertThat(lines("a")).isEmpty();
    }

    @Test
    void byDefaultAModelHasAFewBucketsAndListedModelsHaveThemAll() {
        NodeMetrics m = metrics("a, c");
        serve(m, "a");
        serve(m, "b");
        assertThat(m.fullHistograms("a")).isTrue();
        assertThat(m.fullHistograms("b")).isFalse();
        int all = ModelLatencies.BUCKETS + 1;
        for (String phase : List.of("request", "queue", "compute")) {
            assertThat(buckets("a", phase)).as(phase).isEqualTo(all);
        }
        assertThat(buckets("b", "request")).isEqualTo(ModelLatencyCollector.SLO_SECONDS.length + 1);
        assertThat(buckets("b", "queue")).isZero();
        assertThat(buckets("b", "compute")).isZero();
        assertThat(registry.scrape().lines())
                .contains("modelmux_inference_request_duration_seconds_bucket{model=\"b\",version=\"1\",le=\"0.01\"} 1")
                .contains("modelmux_inference_request_duration_seconds_bucket{model=\"b\",version=\"1\",le=\"+Inf\"} 1")
                .contains("modelmux_inference_request_duration_seconds_count{model=\"b\",version=\"1\"} 1")
                .contains("modelmux_inference_request_duration_seconds_sum{model=\"b\",version=\"1\"} 0.005")
                .contains("modelmux_inference_compute_duration_seconds_sum{model=\"a\",version=\"1\"} 0.003");
    }

    @Test
    void topNGivesFullHistogramsToTheBusiestModelsAndFollowsTheTraffic() {
        NodeMetrics m = metrics("top:1");
        for (int i = 0; i < 5; i++) {
            serve(m, "a");
        }
        serve(m, "b");
        assertThat(m.fullHistograms("a")).isFalse(); // not evaluated yet
        m.maintain();
        assertThat(m.fullHistograms("a")).isTrue();
        assertThat(m.fullHistograms("b")).isFalse();
        assertThat(buckets("a", "request")).isEqualTo(ModelLatencies.BUCKETS + 1);

        for (int i = 0; i < 20; i++) {
            serve(m, "b");
        }
        m.maintain(); // a: 5 x 0.5 + 0, b: 1 x 0.5 + 20
        assertThat(m.fullHistograms("a")).isFalse();
        assertThat(m.fullHistograms("b")).isTrue();
        // the counts carry on whatever the buckets: a's series keep their 5 requests
        assertThat(lines("a"))
                .contains("modelmux_inference_request_duration_seconds_count{model=\"a\",version=\"1\"} 5");
    }

    @Test
    void theSettingIsParsedOrRefusedWithItsName() {
        assertThat(ModelHistograms.parse("none").kind()).isEqualTo(ModelHistograms.Kind.NONE);
        assertThat(ModelHistograms.parse("top:25").top()).isEqualTo(25);
        assertThat(ModelHistograms.parse("a,b").models()).containsExactlyInAnyOrder("a", "b");
        for (String bad : List.of("top:0", "top:x", "a,,b", "top:100000")) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelHistograms.parse(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("metrics-model-histograms: ");
        }
    }

    private int buckets(String model, String phase) {
        return (int) lines(model).stream()
                .filter(l -> l.startsWith("modelmux_inference_" + phase + "_duration_seconds_bucket{"))
                .count();
    }
}
