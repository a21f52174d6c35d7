package dev.modelmux.placement.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WindowedSeriesTest {
    private static final long S = 1_000_000_000L; // a fake clock in nanoseconds
    private static final long MIN = 60 * S;

    @Test
    void thePeakIsTheHighestBucketMeanInTheWindow() {
        WindowedSeries rate = new WindowedSeries(10 * S, 15 * MIN);
        long t = 1_000 * S;
        // 10 s at 5/s, 10 s alternating 40 and 0 (mean 20), then 10 s at 8/s, sampled every 2 s.
        for (int i = 0; i < 5; i++) {
            rate.add(t + i * 2 * S, 5);
        }
        for (int i = 0; i < 5; i++) {
            rate.add(t + 10 * S + i * 2 * S, i % 2 == 0 ? 40 : 0);
        }
        for (int i = 0; i < 5; i++) {
            rate.add(t + 20 * S + i * 2 * S, 8);
        }
        long now = t + 29 * S;
        assertThat(rate.peakMean(now, 15 * MIN)).hasValue(24.0); // (40 + 0 + 40 + 0 + 40) / 5
        assertThat(rate.max(now, 15 * MIN)).hasValue(40.0);
        assertThat(rate.peakMean(now, 5 * S)).hasValue(8.0);
        assertThat(rate.count(now, 15 * MIN)).isEqualTo(15);
        assertThat(rate.count(now, 5 * S)).isEqualTo(5);
    }

    @Test
    void samplesOlderThanTheRetentionAreForgotten() {
        WindowedSeries rate = new WindowedSeries(10 * S, 15 * MIN);
        long t = 0;
        rate.add(t, 100);
        rate.add(t + 5 * MIN, 3);
        assertThat(rate.peakMean(t + 14 * MIN, 15 * MIN)).hasValue(100.0);
        // 16 minutes later the 100 is past the retention, whatever window is asked for.
        assertThat(rate.peakMean(t + 16 * MIN, 15 * MIN)).hasValue(3.0);
        assertThat(rate.peakMean(t + 16 * MIN, 60 * MIN)).hasValue(3.0);
        // A new sample that lands in the 100's old slot replaces it; an older one than the slot holds is ignored.
        rate.add(t + 15 * MIN + 10 * S, 7); // bucket 91 of 91 slots: slot 0 again
        rate.add(t, 1_000);
        assertThat(rate.max(t + 16 * MIN, 15 * MIN)).hasValue(7.0);
        assertThat(rate.peakMean(t + 40 * MIN, 15 * MIN)).isEmpty();
    }

    @Test
    void bucketsAreAlignedToMultiplesOfTheWidthAndCountWhenTheyOverlapTheWindow() {
        WindowedSeries a = new WindowedSeries(60_000, 15 * 60_000);
        a.add(119_999, 20);
        a.add(120_000, 9);
        assertThat(a.maxima(150_000, 15 * 60_000))
                .containsExactly(new double[] {60_000, 20}, new double[] {120_000, 9});
        assertThat(a.max(150_000, 30_000)).hasValue(9.0); // (120 000, 150 000]: the second bucket only
        assertThat(a.max(150_000, 30_001)).hasValue(20.0); // (119 999, 150 000] reaches into the first
        assertThat(a.peakMean(150_000, 90_000)).hasValue(20.0);
        assertThat(a.peakMean(240_000, 60_000)).isEmpty(); // (180 000, 240 000]: past both buckets
    }

    @Test
    void badArgumentsAreRefused() {
        assertThatThrownBy(() -> new WindowedSeries(0, 10)).hasMessageContaining("width");
        assertThatThrownBy(() -> new WindowedSeries(10, 5)).hasMessageContaining("retention");
        WindowedSeries s = new WindowedSeries(10, 100);
        assertThatThrownBy(() -> s.add(0, Double.NaN)).hasMessageContaining("finite");
        assertThat(s.count(50, 100)).isZero();
        assertThat(s.retention()).isEqualTo(100);
    }
}
