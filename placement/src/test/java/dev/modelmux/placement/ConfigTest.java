package dev.modelmux.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConfigTest {

    @Test
    void defaultsAreValid() {
        assertThat(PickerConfig.defaults().headroomFraction()).isEqualTo(0.10);
        assertThat(EvictorConfig.defaults().minResidencyNanos()).isEqualTo(60_000_000_000L);
        assertThat(ScalerConfig.defaults().perCopyRate()).isEqualTo(2_000.0 / 60);
        assertThat(RebalancerConfig.defaults().highWaterFraction()).isEqualTo(0.90);
    }

    @Test
    void badValuesFailWithTheKeyInTheMessage() {
        assertThatThrownBy(() -> new PickerConfig(-0.1)).hasMessageContaining("headroomFraction");
        assertThatThrownBy(() -> new PickerConfig(Double.NaN)).hasMessageContaining("headroomFraction");
        assertThatThrownBy(() -> new EvictorConfig(-1, 1)).hasMessageContaining("minResidencyNanos");
        assertThatThrownBy(() -> new EvictorConfig(0, 0)).hasMessageContaining("assumedLoadBytesPerSecond");
        assertThatThrownBy(() -> new ScalerConfig(0, 0.5, 0, 1)).hasMessageContaining("perCopyRate");
        assertThatThrownBy(() -> new ScalerConfig(1, 1.5, 0, 1)).hasMessageContaining("scaleDownUtilization");
        assertThatThrownBy(() -> new ScalerConfig(1, 0.5, -1, 1)).hasMessageContaining("scaleDownDelayNanos");
        assertThatThrownBy(() -> new ScalerConfig(1, 0.5, 0, 0)).hasMessageContaining("maxCopies");
        assertThatThrownBy(() -> new RebalancerConfig(1.1, 0.5, 1)).hasMessageContaining("highWaterFraction");
        assertThatThrownBy(() -> new RebalancerConfig(0.8, 0.9, 1)).hasMessageContaining("relieveToFraction");
        assertThatThrownBy(() -> new RebalancerConfig(0.9, 0.8, -1)).hasMessageContaining("maxMovesPerJoin");
    }
}
