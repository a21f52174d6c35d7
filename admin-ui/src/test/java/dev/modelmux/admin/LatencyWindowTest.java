package dev.modelmux.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LatencyWindowTest {
    private static final long S = 1_000_000_000L;
    private static final double[] BOUNDS = {1, 2, 5, 10, 100};

    @Test
    void percentilesComeFromTheDifferenceAcrossTheWindowInterpolatedInTheBucket() {
        LatencyWindow w = new LatencyWindow(60 * S);
        w.sample(0, BOUNDS, new double[] {1000, 1000, 1000, 1000, 1000}, 1000); // old traffic, all fast
        // 100 new values within the window: 50 in (1,2], 49 in (2,5], 1 in (10,100].
        w.sample(10 * S, BOUNDS, new double[] {1000, 1050, 1099, 1099, 1100}, 1100);

        assertThat(w.count()).isEqualTo(100);
        assertThat(w.ratePerSecond()).isCloseTo(10.0, within(1e-9));
        assertThat(w.percentile(0.5).getAsDouble()).isCloseTo(2.0, within(1e-9));
        assertThat(w.percentile(0.99).getAsDouble()).isCloseTo(5.0, within(1e-9));
        assertThat(w.percentile(1.0).getAsDouble()).isCloseTo(100.0, within(1e-9));
        assertThat(w.percentile(0.25).getAsDouble()).isCloseTo(1.5, within(1e-9));
    }

    @Test
    void oldSamplesLeaveTheWindowAndAQuietWindowHasNoPercentile() {
        LatencyWindow w = new LatencyWindow(60 * S);
        w.sample(0, BOUNDS, new double[] {0, 0, 0, 0, 0}, 0);
        w.sample(30 * S, BOUNDS, new double[] {0, 0, 0, 10, 10}, 10);
        w.sample(100 * S, BOUNDS, new double[] {0, 0, 0, 10, 10}, 10);
        w.sample(200 * S, BOUNDS, new double[] {0, 0, 0, 10, 10}, 10);

        assertThat(w.count()).isZero();
        assertThat(w.percentile(0.99)).isEmpty();
        assertThat(w.ratePerSecond()).isZero();
    }

    @Test
    void aResetHistogramStartsOverAndValuesAboveTheLastBucketReportTheLastBound() {
        LatencyWindow w = new LatencyWindow(60 * S);
        w.sample(0, BOUNDS, new double[] {5, 5, 5, 5, 5}, 5);
        w.sample(1 * S, BOUNDS, new double[] {0, 0, 0, 0, 0}, 0); // restarted
        w.sample(2 * S, BOUNDS, new double[] {0, 0, 0, 0, 0}, 4);

        assertThat(w.count()).isEqualTo(4);
        assertThat(w.percentile(0.5).getAsDouble()).isEqualTo(100.0);
    }
}
