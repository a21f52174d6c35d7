package dev.modelmux.placement;

import static dev.modelmux.placement.Fixtures.GIB;
import static dev.modelmux.placement.Fixtures.SECOND;
import static dev.modelmux.placement.Fixtures.copy;
import static dev.modelmux.placement.Fixtures.key;
import static dev.modelmux.placement.Fixtures.spec;
import static dev.modelmux.placement.Fixtures.specs;
import static dev.modelmux.placement.Fixtures.used;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.placement.Fixtures.ViewBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DevicePickerTest {
    private static final long NOW = 3_600 * SECOND;
    private final DevicePicker picker =
            DevicePicker.create(new PickerConfig(0.25), Evictor.costAware(EvictorConfig.defaults()));

    @Test
    void requiresFootprintPlusHeadroomInFreeBytes() {
        ModelSpec model = spec("m", 8 * GIB);
        ClusterView view = new ViewBuilder()
                .node("a", 16 * GIB)
                .extraUsed("a", "g0", 6 * GIB + 1) // 10 GiB − 1 free: short by one byte
                .node("b", 16 * GIB)
                .extraUsed("b", "g0", 6 * GIB) // exactly 10 GiB free
                .build();

        assertThat(picker.requiredBytes(model)).isEqualTo(10 * GIB);
        assertThat(picker.pickFree(view, model)).contains(Target.of("b", "g0"));
    }

    @Test
    void reservedBytesAreNotFree() {
        ModelSpec model = spec("m", 4 * GIB);
        ClusterView view = ClusterView.of(
                List.of(NodeView.of("a", new DeviceView("g0", "CUDA", 16 * GIB, 4 * GIB, 8 * GIB, 0))), List.of());

        assertThat(picker.pickFree(view, model)).isEmpty();
    }

    @Test
    void measuredFootprintWinsOverPrediction() {
        ModelSpec predictedSmall = spec("m", 1 * GIB).withMeasured(12 * GIB, SECOND);
        ClusterView view =
                new ViewBuilder().node("a", 8 * GIB).node("b", 16 * GIB).build();

        assertThat(picker.pickFree(view, predictedSmall)).contains(Target.of("b", "g0"));
    }

    @Test
    void spreadsCopiesAcrossNodesBeforeLoad() {
        // Node a holds a copy and is otherwise the better choice (more free, idle); b is busy.
        ClusterView view = new ViewBuilder()
                .node("a", 40 * GIB, 40 * GIB)
                .device("b", "g0", 16 * GIB, 9)
                .copies(copy("m", "a", "g0", 2 * GIB))
                .build();

        assertThat(picker.pickFree(view, spec("m", 2 * GIB))).contains(Target.of("b", "g0"));
    }

    @Test
    void secondCopyOnTheSameNodeOnlyWhenNoOtherNodeFitsAndNeverOnTheSameDevice() {
        ClusterView view = new ViewBuilder()
                .node("a", 40 * GIB, 40 * GIB)
                .node("b", 1 * GIB)
                .copies(copy("m", "a", "g0", 2 * GIB))
                .build();

        assertThat(picker.pickFree(view, spec("m", 2 * GIB))).contains(Target.of("a", "g1"));
    }

    @Test
    void prefersFewestInFlightThenMostFreeThenIds() {
        ClusterView byLoad = new ViewBuilder()
                .device("a", "g0", 80 * GIB, 3)
                .device("b", "g0", 20 * GIB, 1)
                .device("c", "g0", 20 * GIB, 2)
                .build();
        ClusterView byFree = new ViewBuilder()
                .device("a", "g0", 20 * GIB, 1)
                .device("b", "g0", 30 * GIB, 1)
                .build();
        ClusterView tie = new ViewBuilder()
                .device("b", "g1", 20 * GIB, 0)
                .device("b", "g0", 20 * GIB, 0)
                .device("c", "g0", 20 * GIB, 0)
                .build();

        ModelSpec model = spec("m", 1 * GIB);
        assertThat(picker.pickFree(byLoad, model)).contains(Target.of("b", "g0"));
        assertThat(picker.pickFree(byFree, model)).contains(Target.of("b", "g0"));
        assertThat(picker.pickFree(tie, model)).contains(Target.of("b", "g0"));
    }

    @Test
    void neverPlacesOnADrainingNode() {
        ClusterView view = new ViewBuilder()
                .node("a", 80 * GIB)
                .draining("a")
                .node("b", 4 * GIB)
                .copies(used(copy("old", "b", "g0", 4 * GIB), 0, 1))
                .build();
        ModelSpec model = spec("m", 2 * GIB);

        assertThat(picker.pickFree(view, model)).isEmpty();
        Plan plan = picker.plan(view, model, specs(model), NOW).orElseThrow();
        assertThat(plan.target()).isEqualTo(Target.of("b", "g0"));
    }

    @Test
    void plansAnEvictionWhenNothingFitsAsIs() {
        // Both devices are full; on b the resident is busy (in flight), on a it is old and idle.
        CopyView idle = used(copy("idle", "a", "g0", 6 * GIB), 10 * SECOND, 1);
        CopyView busy = used(copy("busy", "b", "g0", 6 * GIB), NOW, 500).withInFlight(2);
        ClusterView view = new ViewBuilder()
                .node("a", 8 * GIB)
                .node("b", 8 * GIB)
                .copies(idle, busy)
                .build();
        ModelSpec model = spec("m", 4 * GIB);

        Plan plan = picker.plan(view, model, specs(model), NOW).orElseThrow();

        assertThat(plan.target()).isEqualTo(Target.of("a", "g0"));
        assertThat(plan.victims()).containsExactly(idle);
        assertThat(plan.requiredBytes()).isEqualTo(5 * GIB);
        assertThat(plan.fitsAsIs()).isFalse();
    }

    @Test
    void planFitsAsIsWithoutVictimsWhenThereIsRoom() {
        ClusterView view = new ViewBuilder().node("a", 8 * GIB).build();

        Plan plan = picker.plan(view, spec("m", 1 * GIB), Map.of(), NOW).orElseThrow();

        assertThat(plan.fitsAsIs()).isTrue();
        assertThat(plan.target()).isEqualTo(Target.of("a", "g0"));
    }

    @Test
    void nothingWhenEvenEvictionCannotMakeRoom() {
        ModelSpec pinned = spec("pinned", 3 * GIB).withPinned(true);
        CopyView young = loaded(copy("young", "a", "g0", 3 * GIB), NOW - SECOND);
        CopyView busy = used(copy("busy", "b", "g0", 6 * GIB), NOW, 9).withInFlight(1);
        ClusterView view = new ViewBuilder()
                .node("a", 8 * GIB)
                .node("b", 8 * GIB)
                .node("c", 2 * GIB)
                .copies(copy("pinned", "a", "g0", 3 * GIB), young, busy)
                .build();
        ModelSpec model = spec("m", 4 * GIB);

        assertThat(picker.plan(view, model, specs(model, pinned), NOW)).isEmpty();
        assertThat(picker.plan(view, spec("huge", 100 * GIB), Map.of(), NOW)).isEmpty();
    }

    @Test
    void sizesPastTheIntRangeAndNearLongMax() {
        ModelSpec big = spec("big", 30 * GIB); // needs 37.5 GiB
        ClusterView view = new ViewBuilder()
                .node("a", 80 * GIB)
                .extraUsed("a", "g0", 45 * GIB) // 35 GiB free
                .node("b", 80 * GIB)
                .extraUsed("b", "g0", 40 * GIB) // 40 GiB free
                .build();
        assertThat(picker.pickFree(view, big)).contains(Target.of("b", "g0"));

        ModelSpec enormous = spec("enormous", Long.MAX_VALUE - GIB); // + 25% would overflow
        assertThat(picker.requiredBytes(enormous)).isEqualTo(Long.MAX_VALUE);
        ClusterView vast = new ViewBuilder()
                .node("a", Long.MAX_VALUE)
                .node("b", Long.MAX_VALUE - 1)
                .build();
        assertThat(picker.pickFree(vast, enormous)).contains(Target.of("a", "g0"));
    }

    @Test
    void failedCopyOnADeviceKeepsTheModelOffThatDevice() {
        CopyView failed = copy("m", "a", "g0", 0).withState(CopyState.FAILED);
        ClusterView view =
                new ViewBuilder().node("a", 80 * GIB, 10 * GIB).copies(failed).build();

        assertThat(picker.pickFree(view, spec("m", 1 * GIB))).contains(Target.of("a", "g1"));
    }

    @Test
    void keyOfTheModelIsWhatSpreads() {
        // A copy of another version of the same name does not count as holding this model.
        ClusterView view = new ViewBuilder()
                .device("a", "g0", 40 * GIB, 0)
                .device("b", "g0", 20 * GIB, 0)
                .copies(new CopyView(ModelKey.of("m", 2), "a", "g0", CopyState.READY, GIB, 0, 0, 0, 0, 0))
                .build();

        assertThat(picker.pickFree(view, ModelSpec.of(key("m"), GIB))).contains(Target.of("a", "g0"));
    }

    private static CopyView loaded(CopyView c, long at) {
        return Fixtures.loadedAt(c, at);
    }
}
