package dev.modelmux.placement;

import static dev.modelmux.placement.Fixtures.GIB;
import static dev.modelmux.placement.Fixtures.SECOND;
import static dev.modelmux.placement.Fixtures.assertBudgetsHold;
import static dev.modelmux.placement.Fixtures.copy;
import static dev.modelmux.placement.Fixtures.key;
import static dev.modelmux.placement.Fixtures.rate;
import static dev.modelmux.placement.Fixtures.spec;
import static dev.modelmux.placement.Fixtures.specs;
import static dev.modelmux.placement.Fixtures.used;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.placement.Action.Load;
import dev.modelmux.placement.Action.Move;
import dev.modelmux.placement.Action.Reason;
import dev.modelmux.placement.Action.Unload;
import dev.modelmux.placement.Fixtures.ViewBuilder;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RebalancerTest {
    private static final long NOW = 1_000 * SECOND;
    private static final DevicePicker PICKER =
            DevicePicker.create(new PickerConfig(0), Evictor.costAware(EvictorConfig.defaults()));
    private final Rebalancer rebalancer = Rebalancer.create(RebalancerConfig.defaults(), PICKER);

    private final Map<ModelKey, ModelSpec> specs = specs(
            spec("m", 2 * GIB).withMinCopies(2),
            spec("p", 2 * GIB).withPinned(true),
            spec("q", 2 * GIB).withPinned(true),
            spec("u", 2 * GIB));

    @Test
    void nodeLossReplacesPinnedAndMinCopiesModelsOnly() {
        // Node c is gone; its copies remain in the table.
        ClusterView view = new ViewBuilder()
                .node("a", 16 * GIB)
                .node("b", 16 * GIB)
                .copies(
                        copy("m", "a", "g0", 2 * GIB),
                        copy("m", "c", "g0", 2 * GIB),
                        copy("p", "c", "g0", 2 * GIB),
                        copy("q", "b", "g0", 2 * GIB),
                        copy("q", "c", "g0", 2 * GIB),
                        copy("u", "c", "g0", 2 * GIB))
                .build();

        RebalanceDecision d = rebalancer.rebalance(view, specs, Set.of(), NOW);

        assertThat(d.actions())
                .containsExactly(
                        new Load(key("m"), Target.of("b", "g0"), Reason.REPLACE_LOST),
                        new Load(key("p"), Target.of("a", "g0"), Reason.REPLACE_LOST));
        assertThat(d.unplaced()).isEmpty();
        assertBudgetsHold(view, d.actions(), specs);
    }

    @Test
    void aLostDeviceCountsLikeALostNode() {
        ClusterView view = new ViewBuilder()
                .node("a", 16 * GIB)
                .copies(copy("p", "a", "g7", 2 * GIB))
                .build();

        assertThat(rebalancer.rebalance(view, specs, Set.of(), NOW).actions())
                .containsExactly(new Load(key("p"), Target.of("a", "g0"), Reason.REPLACE_LOST));
    }

    @Test
    void evictsOnSurvivorsToReplaceAPinnedModel() {
        CopyView cold = used(copy("u", "a", "g0", 3 * GIB), 10 * SECOND, 1);
        ClusterView view = new ViewBuilder()
                .node("a", 4 * GIB)
                .copies(cold, copy("p", "gone", "g0", 2 * GIB))
                .build();

        RebalanceDecision d = rebalancer.rebalance(view, specs, Set.of(), NOW);

        assertThat(d.actions())
                .containsExactly(
                        new Unload(cold, Reason.MAKE_ROOM),
                        new Load(key("p"), Target.of("a", "g0"), Reason.REPLACE_LOST));
        assertBudgetsHold(view, d.actions(), specs);
    }

    @Test
    void reportsLostCopiesThatFitNowhere() {
        ClusterView view = new ViewBuilder()
                .node("a", GIB)
                .copies(copy("m", "gone", "g0", 2 * GIB), copy("m", "gone", "g1", 2 * GIB))
                .build();

        RebalanceDecision d = rebalancer.rebalance(view, specs, Set.of(), NOW);

        assertThat(d.actions()).isEmpty();
        assertThat(d.unplaced()).containsExactly(key("m"), key("m"));
    }

    @Test
    void joinRelievesAnOverFullDeviceBusiestFirst() {
        CopyView x = rate(copy("x", "a", "g0", 3 * GIB), 5);
        CopyView y = rate(copy("y", "a", "g0", 3 * GIB), 1);
        CopyView z = rate(copy("z", "a", "g0", 3 * GIB), 9);
        ClusterView view = new ViewBuilder()
                .node("a", 10 * GIB)
                .extraUsed("a", "g0", GIB / 2) // 95% full
                .node("new", 16 * GIB)
                .copies(x, y, z)
                .build();

        RebalanceDecision d = rebalancer.rebalance(view, Map.of(), Set.of("new"), NOW);
        assertThat(d.actions()).containsExactly(new Move(z, Target.of("new", "g0"), Reason.RELIEVE));

        Rebalancer deeper = Rebalancer.create(new RebalancerConfig(0.9, 0.5, 8), PICKER);
        RebalanceDecision two = deeper.rebalance(view, Map.of(), Set.of("new"), NOW);
        assertThat(two.actions())
                .containsExactly(
                        new Move(z, Target.of("new", "g0"), Reason.RELIEVE),
                        new Move(x, Target.of("new", "g0"), Reason.RELIEVE));
        assertBudgetsHold(view, two.actions(), Map.of());

        Rebalancer oneMove = Rebalancer.create(new RebalancerConfig(0.9, 0.5, 1), PICKER);
        assertThat(oneMove.rebalance(view, Map.of(), Set.of("new"), NOW).actions())
                .hasSize(1);
    }

    @Test
    void joinLeavesDevicesBelowHighWaterAlone() {
        ClusterView view = new ViewBuilder()
                .node("a", 10 * GIB)
                .node("new", 16 * GIB)
                .copies(copy("x", "a", "g0", 3 * GIB), copy("y", "a", "g0", 3 * GIB), copy("z", "a", "g0", 3 * GIB))
                .build(); // exactly 90%: not above

        assertThat(rebalancer.rebalance(view, Map.of(), Set.of("new"), NOW).actions())
                .isEmpty();
    }

    @Test
    void drainingOrUnknownJoinersGetNothing() {
        ClusterView view = new ViewBuilder()
                .node("a", 10 * GIB)
                .extraUsed("a", "g0", 7 * GIB)
                .node("new", 16 * GIB)
                .draining("new")
                .copies(copy("x", "a", "g0", 3 * GIB))
                .build();

        assertThat(rebalancer
                        .rebalance(view, Map.of(), Set.of("new", "ghost"), NOW)
                        .actions())
                .isEmpty();
    }

    @Test
    void aMoveNeverLandsOnANodeThatHoldsTheModel() {
        CopyView x = rate(copy("x", "a", "g0", 3 * GIB), 5);
        CopyView z = rate(copy("z", "a", "g0", 3 * GIB), 9);
        ClusterView view = new ViewBuilder()
                .node("a", 6 * GIB)
                .node("new", 16 * GIB, 16 * GIB)
                .copies(x, z, copy("z", "new", "g0", 3 * GIB))
                .build();

        assertThat(rebalancer.rebalance(view, Map.of(), Set.of("new"), NOW).actions())
                .containsExactly(new Move(x, Target.of("new", "g1"), Reason.RELIEVE));
    }

    @Test
    void leaveAndJoinInOnePass() {
        CopyView z = rate(copy("z", "a", "g0", 3 * GIB), 9);
        ClusterView view = new ViewBuilder()
                .node("a", 4 * GIB)
                .extraUsed("a", "g0", 3 * GIB / 4) // 94% full
                .node("new", 16 * GIB)
                .copies(z, copy("p", "gone", "g0", 2 * GIB))
                .build();

        RebalanceDecision d = rebalancer.rebalance(view, specs, Set.of("new"), NOW);

        assertThat(d.actions())
                .containsExactly(
                        new Load(key("p"), Target.of("new", "g0"), Reason.REPLACE_LOST),
                        new Move(z, Target.of("new", "g0"), Reason.RELIEVE));
        assertBudgetsHold(view, d.actions(), specs);
    }
}
