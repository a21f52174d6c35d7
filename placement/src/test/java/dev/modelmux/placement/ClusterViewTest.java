package dev.modelmux.placement;

import static dev.modelmux.placement.Fixtures.GIB;
import static dev.modelmux.placement.Fixtures.copy;
import static dev.modelmux.placement.Fixtures.key;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.placement.Fixtures.ViewBuilder;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ClusterViewTest {

    @Test
    void indexesCopiesByModelAndDeviceAndFindsLostOnes() {
        CopyView a = copy("m", "a", "g0", GIB);
        CopyView b = copy("m", "b", "g0", GIB).withState(CopyState.LOADING);
        CopyView lost = copy("m", "gone", "g0", GIB);
        CopyView other = copy("n", "a", "g0", GIB);
        ClusterView view = new ViewBuilder()
                .node("a", 8 * GIB)
                .node("b", 8 * GIB)
                .copies(a, b, lost, other)
                .build();

        assertThat(view.copiesOf(key("m"))).containsExactly(a, b, lost);
        assertThat(view.copiesOn(Target.of("a", "g0"))).containsExactly(a, other);
        assertThat(view.readyCount(key("m"))).isEqualTo(1);
        assertThat(view.lostCopies()).containsExactly(lost);
        assertThat(view.models()).containsExactly(key("m"), key("n"));
        assertThat(view.isPresent(Target.of("a", "g0"))).isTrue();
        assertThat(view.isPresent(Target.of("a", "g1"))).isFalse();
        assertThat(view.device(Target.of("a", "g0")).orElseThrow().usedBytes()).isEqualTo(2 * GIB);
        assertThatThrownBy(() -> view.copiesOf(key("m")).clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void rejectsDuplicateNodesAndDevices() {
        NodeView n = NodeView.of("a", DeviceView.of("g0", "CPU", GIB, 0));

        assertThatThrownBy(() -> ClusterView.of(List.of(n, n), List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("node a appears twice");
        assertThatThrownBy(
                        () -> NodeView.of("a", DeviceView.of("g0", "CPU", GIB, 0), DeviceView.of("g0", "CPU", GIB, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("device g0 twice");
    }

    @Test
    void freeBytesNeverNegativeAndOverCommitSaturates() {
        DeviceView over = new DeviceView("g0", "CUDA", 10 * GIB, 8 * GIB, 4 * GIB, 0);
        DeviceView extreme = new DeviceView("g0", "CUDA", 1, Long.MAX_VALUE, Long.MAX_VALUE, 0);
        DeviceView empty = new DeviceView("g0", "CPU", 0, 0, 0, 0);

        assertThat(over.freeBytes()).isZero();
        assertThat(over.overCommitBytes()).isEqualTo(2 * GIB);
        assertThat(over.fillFraction()).isEqualTo(1.2);
        assertThat(extreme.freeBytes()).isZero();
        assertThat(extreme.overCommitBytes()).isEqualTo(Long.MAX_VALUE - 1);
        assertThat(empty.fillFraction()).isEqualTo(1.0);
        assertThat(DeviceView.of("g0", "CUDA", 80 * GIB, 30 * GIB).freeBytes()).isEqualTo(50 * GIB);
    }

    @Test
    void modelSpecFootprintAndFloor() {
        ModelSpec s = ModelSpec.of(key("m"), 3 * GIB);

        assertThat(s.footprintBytes()).isEqualTo(3 * GIB);
        assertThat(s.withMeasured(5 * GIB, 1).footprintBytes()).isEqualTo(5 * GIB);
        assertThat(s.floorCopies()).isZero();
        assertThat(s.withPinned(true).floorCopies()).isEqualTo(1);
        assertThat(s.withPinned(true).withMinCopies(3).floorCopies()).isEqualTo(3);
    }

    @Test
    void recordsRejectNonsense() {
        assertThatThrownBy(() -> ModelKey.of(" ", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModelKey.of("m", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DeviceView("g0", "CUDA", -1, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("capacityBytes");
        assertThatThrownBy(() -> new ModelSpec(key("m"), 1, OptionalLong.of(-1), 0, false, 0, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("measuredBytes");
        assertThatThrownBy(() -> ModelSpec.of(key("m"), 1).withMinCopies(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("minCopies");
        assertThatThrownBy(() -> copy("m", "a", "g0", -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fixtures.rate(copy("m", "a", "g0", 1), Double.NaN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("requestRate");
    }
}
