package dev.modelmux.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure pieces of bench/latency: percentiles, the clients' result lines, /proc/<pid>/stat. */
class RunResultTest {
    @Test
    void nearestRankPercentiles() {
        double[] hundred = new double[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = 100 - i; // 100 .. 1, unsorted on purpose
        }
        assertThat(RunResult.percentile(hundred, 50)).isEqualTo(50);
        assertThat(RunResult.percentile(hundred, 99)).isEqualTo(99);
        assertThat(RunResult.percentile(hundred, 100)).isEqualTo(100);
        assertThat(RunResult.percentile(new double[] {7}, 1)).isEqualTo(7);
        assertThat(RunResult.percentile(new double[] {1, 2, 3}, 50)).isEqualTo(2);
        assertThat(RunResult.percentile(new double[0], 50)).isNaN();
        assertThatThrownBy(() -> RunResult.percentile(hundred, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parsesAClientResultLine() {
        RunResult r = RunResult.parse(
                "{\"latencies_us\":[120.5,80,100],\"ok\":3,\"errors\":{\"RESOURCE_EXHAUSTED\":4,\"UNAVAILABLE\":1},"
                        + "\"elapsed_s\":0.5}");
        assertThat(r.ok()).isEqualTo(3);
        assertThat(r.percentile(50)).isEqualTo(100);
        assertThat(r.mean()).isEqualTo((120.5 + 80 + 100) / 3);
        assertThat(r.errors("RESOURCE_EXHAUSTED")).isEqualTo(4);
        assertThat(r.errorCount()).isEqualTo(5);
        assertThat(r.throughput()).isEqualTo(6);
    }

    @Test
    void aFlooderCountsWithoutLatencies() {
        RunResult r = RunResult.parse("{\"latencies_us\":[],\"ok\":250,\"errors\":{},\"elapsed_s\":1}");
        assertThat(r.ok()).isEqualTo(250);
        assertThat(r.percentile(99)).isNaN();
    }

    @Test
    void aClientFailureOrAnotherLineIsAnError() {
        assertThatThrownBy(() -> RunResult.parse("{\"failure\":\"java.io.IOException: boom\"}"))
                .hasMessageContaining("boom");
        assertThatThrownBy(() -> RunResult.parse("Picked up JAVA_TOOL_OPTIONS")).hasMessageContaining("not a client");
    }

    @Test
    void poolingAddsSamplesErrorsAndTime() {
        RunResult a = new RunResult(new double[] {1, 2}, 2, Map.of("UNAVAILABLE", 1L), 1);
        RunResult b = new RunResult(new double[] {3}, 1, Map.of("UNAVAILABLE", 2L, "INTERNAL", 1L), 2);
        RunResult p = a.plus(b);
        assertThat(p.latenciesUs()).containsExactly(1, 2, 3);
        assertThat(p.ok()).isEqualTo(3);
        assertThat(p.errors()).containsEntry("UNAVAILABLE", 3L).containsEntry("INTERNAL", 1L);
        assertThat(p.elapsedS()).isEqualTo(3);
    }

    @Test
    void cpuTicksFromProcStatEvenWithSpacesInTheName() {
        String stat = "4242 (java (node) x) S 1 4242 4242 0 -1 4194560 93127 0 12 0 1534 287 0 0 20 0 61 0"
                + " 1234567 5000000000 80000 18446744073709551615";
        assertThat(NoisyPhase.ticks(stat)).isEqualTo(1534 + 287);
    }

    @Test
    void threadsOfOnePoolAreGrouped() {
        assertThat(AllocationPhase.threadGroup("vert.x-eventloop-thread-3")).isEqualTo("vert.x-eventloop-thread-N");
        assertThat(AllocationPhase.threadGroup("modelmux-cluster")).isEqualTo("modelmux-cluster");
    }

    @Test
    void histogramFromAScrapeLessAnEarlierOne() {
        String earlier = String.join(
                "\n",
                "modelmux_inference_compute_duration_seconds_bucket{model=\"m\",version=\"1\",le=\"0.001\"} 10",
                "modelmux_inference_compute_duration_seconds_bucket{model=\"m\",version=\"1\",le=\"0.002\"} 10",
                "modelmux_inference_compute_duration_seconds_bucket{model=\"m\",version=\"1\",le=\"+Inf\"} 10",
                "modelmux_inference_compute_duration_seconds_sum{model=\"m\",version=\"1\"} 0.005",
                "modelmux_inference_compute_duration_seconds_count{model=\"m\",version=\"1\"} 10",
                "modelmux_inference_compute_duration_seconds_count{model=\"other\",version=\"1\"} 99");
        String later = String.join(
                "\n",
                "modelmux_inference_compute_duration_seconds_bucket{model=\"m\",version=\"1\",le=\"0.001\"} 10",
                "modelmux_inference_compute_duration_seconds_bucket{model=\"m\",version=\"1\",le=\"0.002\"} 110",
                "modelmux_inference_compute_duration_seconds_bucket{model=\"m\",version=\"1\",le=\"+Inf\"} 110",
                "modelmux_inference_compute_duration_seconds_sum{model=\"m\",version=\"1\"} 0.155",
                "modelmux_inference_compute_duration_seconds_count{model=\"m\",version=\"1\"} 110");
        String metric = "modelmux_inference_compute_duration_seconds";
        NodeHistogram d = NodeHistogram.parse(later, metric, "m").minus(NodeHistogram.parse(earlier, metric, "m"));
        assertThat(d.count()).isEqualTo(100);
        assertThat(d.meanMicros()).isCloseTo(1500, org.assertj.core.data.Offset.offset(1e-6));
        // all 100 new records lie in (1 ms, 2 ms]: the median is interpolated half way
        assertThat(d.percentileMicros(50)).isCloseTo(1500, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(NodeHistogram.parse("", metric, "m").percentileMicros(50)).isNaN();
    }
}
