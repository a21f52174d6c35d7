package dev.modelmux.node.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ModelStatsTest {
    private final AtomicLong clock = new AtomicLong(TimeUnit.HOURS.toNanos(1));
    private final NodeMetrics metrics =
            new NodeMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), ModelHistograms.none(), clock::get);

    @Test
    void percentilesAndRateComeFromTheNodesOwnWindows() {
        ModelStats stats = metrics.requestStats();
        metrics.request("rest", "m", "1", "success", 1_000_000, 0, 0);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(1));
        metrics.request("rest", "n", "1", "success", 1_000_000, 0, 0);
        for (int i = 0; i < 98; i++) {
            metrics.request("rest", "m", "1", "success", 2_000_000, 0, 0);
        }
        metrics.request("rest", "m", "1", "forwarded", 400_000_000, 0, 0);
        metrics.request("rest", "m", "1", "forwarded", 400_000_000, 0, 0);
        metrics.request("rest", "m", "1", "invalid", 1, 0, 0); // failures are not timed
        clock.addAndGet(TimeUnit.SECONDS.toNanos(10));

        ModelLatencies.Figures f = stats.of("m").orElseThrow();
        assertThat(f.count()).isEqualTo(101);
        assertThat(f.rate()).isEqualTo(101 / 11.0); // over the 11 s since m's first request
        // the 51st of 101 values: the 2 ms bucket (1.5, 2.5] ms holds values 2..99
        assertThat(f.p50Ms().getAsDouble()).isCloseTo(1.5 + (51 - 1) / 98.0, within(1e-9));
        // the 100th: halfway into the bucket (250, 400] ms that holds the two forwarded requests
        assertThat(f.p99Ms().getAsDouble()).isCloseTo(325.0, within(1e-9));
        assertThat(stats.of("n").orElseThrow().count()).isEqualTo(1);
        assertThat(stats.of("mm")).isEmpty();
        assertThat(stats.models()).containsExactly("m", "n");
    }

    @Test
    void theBusiestVersionAnswersAndTheComputeWindowHoldsOnlyRequestsServedHere() {
        metrics.request("grpc", "m", "1", "success", 5_000_000, 1_000_000, 3_000_000);
        metrics.request("grpc", "m", "2", "success", 5_000_000, 1_000_000, 3_000_000);
        metrics.request("grpc", "m", "2", "success", 5_000_000, 1_000_000, 3_000_000);
        metrics.request("grpc", "f", "1", "forwarded", 5_000_000, 0, 0);

        assertThat(metrics.requestStats().of("m").orElseThrow().count()).isEqualTo(2);
        assertThat(metrics.computeStats().of("m").orElseThrow().count()).isEqualTo(2);
        assertThat(metrics.computeStats().of("m").orElseThrow().p99Ms().getAsDouble())
                .isCloseTo(4.0, within(1e-9)); // 3 ms lies in (2.5, 4] ms; both values there: the bucket's top
        assertThat(metrics.computeStats().models()).containsExactly("m");
        assertThat(metrics.requestStats().models()).containsExactly("f", "m");
    }

    @Test
    void valuesLeaveTheWindowAfterAMinuteAndAQuarter() {
        metrics.request("rest", "m", "1", "success", 1_000_000, 0, 0);
        clock.addAndGet(TimeUnit.SECONDS.toNanos(59));
        assertThat(metrics.requestStats().of("m")).isPresent();
        clock.addAndGet(TimeUnit.SECONDS.toNanos(16)); // 75 s: every slot of the window has turned over
        assertThat(metrics.requestStats().of("m")).isEmpty();
        assertThat(metrics.requestStats().models()).isEmpty();
        // the cumulative figures /metrics renders keep counting
        assertThat(metrics.latencies().totals(ModelLatencies.Phase.REQUEST)).containsEntry("m", 1L);
    }

    @Test
    void aValueIsCountedInTheFirstBucketAtOrAboveIt() {
        assertThat(ModelLatencies.bucket(0)).isZero();
        assertThat(ModelLatencies.bucket(10_000)).isZero(); // 10 µs: the first bound
        assertThat(ModelLatencies.bucket(10_001)).isEqualTo(1);
        assertThat(ModelLatencies.bucket(60_000_000_000L)).isEqualTo(ModelLatencies.BUCKETS - 1);
        assertThat(ModelLatencies.bucket(60_000_000_001L)).isEqualTo(ModelLatencies.BUCKETS);
        assertThat(ModelLatencies.BOUNDS_SECONDS).contains(ModelLatencyCollector.SLO_SECONDS);
        assertThat(ModelLatencies.BOUNDS_SECONDS).startsWith(1e-5, 1.5e-5, 2.5e-5, 4e-5, 6e-5, 1e-4);
    }
}
