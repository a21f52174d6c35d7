package dev.modelmux.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RssFootprintMeterClampTest {
    @Test
    void weightsAreTheFloorAndEightTimesThePredictionTheCeiling() {
        assertThat(RssFootprintMeter.clamp(-5_000, 1_000, 400)).isEqualTo(400);
        assertThat(RssFootprintMeter.clamp(2_500, 1_000, 400)).isEqualTo(2_500);
        assertThat(RssFootprintMeter.clamp(60_000_000, 450_000, 300_000)).isEqualTo(3_600_000);
        assertThat(RssFootprintMeter.clamp(Long.MAX_VALUE, Long.MAX_VALUE / 2, 0))
                .isEqualTo(Long.MAX_VALUE);
        assertThat(RssFootprintMeter.clamp(10L << 32, 1L << 32, 0)).isEqualTo(8L << 32);
    }
}
