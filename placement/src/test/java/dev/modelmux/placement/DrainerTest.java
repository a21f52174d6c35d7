package dev.modelmux.placement;

import static dev.modelmux.placement.Fixtures.GIB;
import static dev.modelmux.placement.Fixtures.SECOND;
import static dev.modelmux.placement.Fixtures.assertBudgetsHold;
import static dev.modelmux.placement.Fixtures.copy;
import static dev.modelmux.placement.Fixtures.rate;
import static dev.modelmux.placement.Fixtures.spec;
import static dev.modelmux.placement.Fixtures.specs;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.placement.Action.Move;
import dev.modelmux.placement.Action.Reason;
import dev.modelmux.placement.Action.Unload;
import dev.modelmux.placement.Fixtures.ViewBuilder;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DrainerTest {
    private static final long NOW = 1_000 * SECOND;
    private static final DevicePicker PICKER =
            DevicePicker.create(new PickerConfig(0), Evictor.costAware(EvictorConfig.defaults()));
    private final Drainer drainer = Drainer.create(PICKER, 8);

    private final Map<ModelKey, ModelSpec> specs = specs(
            spec("m", 2 * GIB),
            spec("n", 2 * GIB),
            spec("p", 2 * GIB).withPinned(true),
            spec("two", 2 * GIB).withMinCopies(2));

    @Test
    void copiesOnADrainingNodeMoveToNodesThatAreNotDraining() {
        CopyView m = copy("m", "b", "g0", 2 * GIB);
        CopyView p = copy("p", "b", "g0", 2 * GIB);
        ClusterView view = new ViewBuilder()
                .node("a", 8 * GIB)
                .node("b", 8 * GIB)
                .node("c", 8 * GIB)
                .draining("c")
                .draining("b")
                .copies(m, p)
                .build();

        DrainDecision d = drainer.drain(view, specs, NOW);

        assertThat(d.actions())
                .containsExactlyInAnyOrder(
                        new Move(m, Target.of("a", "g0"), Reason.DRAIN),
                        new Move(p, Target.of("a", "g0"), Reason.DRAIN));
        assertThat(d.stuck()).isEmpty();
        assertBudgetsHold(view, d.actions(), specs);
    }

    @Test
    void aCopyOthersAlreadyServeIsUnloadedAndFloorsCountOnlyNonDrainingCopies() {
        CopyView mOnB = copy("m", "b", "g0", 2 * GIB);
        CopyView twoOnB = copy("two", "b", "g0", 2 * GIB);
        ClusterView view = new ViewBuilder()
                .node("a", 8 * GIB)
                .node("b", 8 * GIB)
                .node("c", 8 * GIB)
                .draining("b")
                .copies(mOnB, copy("m", "a", "g0", 2 * GIB), twoOnB, copy("two", "a", "g0", 2 * GIB))
                .build();

        DrainDecision d = drainer.drain(view, specs, NOW);

        // m is served by a already; "two" needs two copies off b, so it moves to c (spread first).
        assertThat(d.actions())
                .containsExactlyInAnyOrder(
                        new Unload(mOnB, Reason.DRAIN), new Move(twoOnB, Target.of("c", "g0"), Reason.DRAIN));
    }

    @Test
    void waitsForACopyLoadingElsewhereAndLeavesLoadingCopiesOnTheDrainingNodeAlone() {
        CopyView mOnB = copy("m", "b", "g0", 2 * GIB);
        CopyView loadingOnA = copy("m", "a", "g0", 2 * GIB).withState(CopyState.LOADING);
        CopyView nLoadingOnB = copy("n", "b", "g0", 2 * GIB).withState(CopyState.LOADING);
        ClusterView view = new ViewBuilder()
                .node("a", 8 * GIB)
                .node("b", 8 * GIB)
                .draining("b")
                .copies(mOnB, loadingOnA, nLoadingOnB)
                .build();

        assertThat(drainer.drain(view, specs, NOW).actions()).isEmpty();
    }

    @Test
    void aCopyThatFitsNowhereStaysAndIsReported() {
        CopyView big = copy("m", "b", "g0", 6 * GIB);
        ClusterView view = new ViewBuilder()
                .node("a", 4 * GIB)
                .node("b", 8 * GIB)
                .draining("b")
                .copies(big)
                .build();

        DrainDecision d = drainer.drain(view, specs, NOW);

        assertThat(d.actions()).isEmpty();
        assertThat(d.stuck()).containsExactly(big);
    }

    @Test
    void evictsOnTheTargetWhenNeededAndMovesAtMostTheBudgetBusiestFirst() {
        CopyView victim = copy("n", "a", "g0", 6 * GIB);
        CopyView m = rate(copy("m", "b", "g0", 4 * GIB), 5);
        ClusterView view = new ViewBuilder()
                .node("a", 8 * GIB)
                .node("b", 8 * GIB)
                .draining("b")
                .copies(victim, m)
                .build();

        DrainDecision d = drainer.drain(view, specs, NOW);

        assertThat(d.actions())
                .containsExactly(new Unload(victim, Reason.MAKE_ROOM), new Move(m, Target.of("a", "g0"), Reason.DRAIN));

        ViewBuilder many =
                new ViewBuilder().node("a", 64 * GIB).node("b", 64 * GIB).draining("b");
        Map<ModelKey, ModelSpec> manySpecs = new HashMap<>();
        for (int i = 0; i < 5; i++) {
            many.copies(rate(copy("x" + i, "b", "g0", GIB), i));
            manySpecs.put(ModelKey.of("x" + i, 1), spec("x" + i, GIB));
        }
        DrainDecision limited = Drainer.create(PICKER, 2).drain(many.build(), manySpecs, NOW);
        assertThat(limited.actions())
                .extracting(a -> ((Move) a).copy().key().name())
                .containsExactly("x4", "x3");
    }
}
