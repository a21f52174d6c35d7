package dev.modelmux.placement;

import static dev.modelmux.placement.Fixtures.GIB;
import static dev.modelmux.placement.Fixtures.SECOND;
import static dev.modelmux.placement.Fixtures.assertBudgetsHold;
import static dev.modelmux.placement.Fixtures.copy;
import static dev.modelmux.placement.Fixtures.key;
import static dev.modelmux.placement.Fixtures.loadedAt;
import static dev.modelmux.placement.Fixtures.rate;
import static dev.modelmux.placement.Fixtures.spec;
import static dev.modelmux.placement.Fixtures.specs;
import static dev.modelmux.placement.Fixtures.used;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.placement.Action.Load;
import dev.modelmux.placement.Action.Reason;
import dev.modelmux.placement.Action.Unload;
import dev.modelmux.placement.Fixtures.ViewBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** 10 req/s per copy, scale down below 5 req/s per copy, copies younger than 60 s stay, at most 4. */
class CopyScalerTest {
    private static final long NOW = 1_000 * SECOND;
    private final CopyScaler scaler = CopyScaler.create(
            new ScalerConfig(10, 0.5, 60 * SECOND, 4),
            DevicePicker.create(new PickerConfig(0), Evictor.costAware(EvictorConfig.defaults())));
    private final ModelSpec m = spec("m", 2 * GIB);

    @Test
    void scalesUpPastThePerCopyRateAndSpreadsTheNewCopies() {
        ClusterView view =
                threeNodes().copies(rate(copy("m", "a", "g0", 2 * GIB), 25)).build();

        ScaleDecision d = scaler.scale(view, specs(m), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 3);
        assertThat(d.actions())
                .containsExactly(
                        new Load(key("m"), Target.of("b", "g0"), Reason.SCALE_UP),
                        new Load(key("m"), Target.of("c", "g0"), Reason.SCALE_UP));
        assertBudgetsHold(view, d.actions(), specs(m));
    }

    @Test
    void atThePerCopyRateNothingChanges() {
        ClusterView view =
                threeNodes().copies(rate(copy("m", "a", "g0", 2 * GIB), 10)).build();

        ScaleDecision d = scaler.scale(view, specs(m), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 1);
        assertThat(d.actions()).isEmpty();
    }

    @Test
    void scalesDownOnlyBelowTheLowerMarkSoItDoesNotFlap() {
        // 12 req/s over 3 copies: 2 would carry 6 each, above the 5 req/s mark: keep 3.
        ClusterView twelve = threeNodes()
                .copies(
                        rate(copy("m", "a", "g0", 2 * GIB), 4),
                        rate(copy("m", "b", "g0", 2 * GIB), 4),
                        rate(copy("m", "c", "g0", 2 * GIB), 4))
                .build();
        assertThat(scaler.scale(twelve, specs(m), NOW).actions()).isEmpty();

        // 9 req/s: 2 copies carry 4.5 each: drop the least busy copy.
        CopyView leastBusy = rate(copy("m", "b", "g0", 2 * GIB), 2.5);
        ClusterView nine = threeNodes()
                .copies(rate(copy("m", "a", "g0", 2 * GIB), 3), leastBusy, rate(copy("m", "c", "g0", 2 * GIB), 3.5))
                .build();
        ScaleDecision down = scaler.scale(nine, specs(m), NOW);
        assertThat(down.desired()).containsEntry(key("m"), 2);
        assertThat(down.actions()).containsExactly(new Unload(leastBusy, Reason.SCALE_DOWN));

        // Two copies at 9 or 11 req/s: within the band, nothing; at 21 req/s, a third.
        for (double total : new double[] {9, 11, 20}) {
            ClusterView two = threeNodes()
                    .copies(
                            rate(copy("m", "a", "g0", 2 * GIB), total / 2),
                            rate(copy("m", "c", "g0", 2 * GIB), total / 2))
                    .build();
            assertThat(scaler.scale(two, specs(m), NOW).actions())
                    .as("at %s req/s", total)
                    .isEmpty();
        }
        ClusterView busy = threeNodes()
                .copies(rate(copy("m", "a", "g0", 2 * GIB), 10.5), rate(copy("m", "c", "g0", 2 * GIB), 10.5))
                .build();
        assertThat(scaler.scale(busy, specs(m), NOW).actions())
                .containsExactly(new Load(key("m"), Target.of("b", "g0"), Reason.SCALE_UP));
    }

    @Test
    void idleCopiesGoDownToMinCopies() {
        ModelSpec two = m.withMinCopies(2);
        ClusterView view = new ViewBuilder()
                .node("a", 16 * GIB)
                .node("b", 16 * GIB)
                .node("c", 16 * GIB)
                .node("d", 16 * GIB)
                .copies(
                        used(copy("m", "a", "g0", 2 * GIB), 900 * SECOND, 5),
                        used(copy("m", "b", "g0", 2 * GIB), 800 * SECOND, 5),
                        used(copy("m", "c", "g0", 2 * GIB), 700 * SECOND, 5),
                        used(copy("m", "d", "g0", 2 * GIB), 950 * SECOND, 5))
                .build();

        ScaleDecision d = scaler.scale(view, specs(two), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 2);
        assertThat(d.actions()).extracting(a -> ((Unload) a).copy().nodeId()).containsExactly("c", "b");
        assertThat(d.actions()).allMatch(a -> a.reason() == Reason.SCALE_DOWN);
    }

    @Test
    void youngOrBusyCopiesAreNotRemoved() {
        CopyView young = loadedAt(copy("m", "a", "g0", 2 * GIB), NOW - 30 * SECOND);
        CopyView inFlight = copy("m", "b", "g0", 2 * GIB).withInFlight(1);
        CopyView idle = copy("m", "c", "g0", 2 * GIB);
        ClusterView view = threeNodes().copies(young, inFlight, idle).build();

        ScaleDecision d = scaler.scale(view, specs(m), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 1);
        assertThat(d.actions()).containsExactly(new Unload(idle, Reason.SCALE_DOWN));
    }

    @Test
    void pinnedKeepsOneCopyAndIgnoresItsTtl() {
        ModelSpec pinned = m.withPinned(true).withIdleTtl(60 * SECOND);
        ClusterView view = threeNodes()
                .copies(copy("m", "a", "g0", 2 * GIB), copy("m", "b", "g0", 2 * GIB))
                .build();

        ScaleDecision d = scaler.scale(view, specs(pinned), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 1);
        assertThat(d.actions()).hasSize(1).allMatch(a -> a.reason() == Reason.SCALE_DOWN);
    }

    @Test
    void pinnedModelWithNoCopyIsLoaded() {
        ClusterView view = threeNodes().build();

        ScaleDecision d = scaler.scale(view, specs(m.withPinned(true)), NOW);

        assertThat(d.actions()).containsExactly(new Load(key("m"), Target.of("a", "g0"), Reason.BELOW_FLOOR));
    }

    @Test
    void idleModelWithoutTtlStaysLoadedAndUnusedModelsAreLeftToDemand() {
        ClusterView view = threeNodes().copies(copy("m", "a", "g0", 2 * GIB)).build();

        ScaleDecision d = scaler.scale(view, specs(m, spec("other", GIB)), NOW);

        assertThat(d.desired()).containsExactly(Map.entry(key("m"), 1));
        assertThat(d.actions()).isEmpty();
    }

    @Test
    void unloadsAModelIdlePastItsTtl() {
        ModelSpec ttl = m.withIdleTtl(300 * SECOND);
        CopyView a = used(copy("m", "a", "g0", 2 * GIB), 600 * SECOND, 9);
        CopyView b = used(copy("m", "b", "g0", 2 * GIB), 550 * SECOND, 3);
        ClusterView view = threeNodes().copies(a, b).build();

        ScaleDecision d = scaler.scale(view, specs(ttl), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 0);
        assertThat(d.actions()).containsExactly(new Unload(a, Reason.IDLE_TTL), new Unload(b, Reason.IDLE_TTL));
    }

    @Test
    void ttlDoesNotApplyWhenRecentlyUsedInFlightOrWithMinCopies() {
        ModelSpec ttl = m.withIdleTtl(300 * SECOND);
        CopyView recent = used(copy("m", "a", "g0", 2 * GIB), 800 * SECOND, 9);
        CopyView old = used(copy("m", "a", "g0", 2 * GIB), 600 * SECOND, 9);

        assertThat(scaler.scale(threeNodes().copies(recent).build(), specs(ttl), NOW)
                        .actions())
                .isEmpty();
        assertThat(scaler.scale(threeNodes().copies(old.withInFlight(1)).build(), specs(ttl), NOW)
                        .actions())
                .isEmpty();
        assertThat(scaler.scale(threeNodes().copies(old).build(), specs(ttl.withMinCopies(1)), NOW)
                        .actions())
                .isEmpty();
    }

    @Test
    void belowMinCopiesLoadsOnDistinctNodes() {
        ClusterView view = threeNodes().build();

        ScaleDecision d = scaler.scale(view, specs(m.withMinCopies(2)), NOW);

        assertThat(d.actions())
                .containsExactly(
                        new Load(key("m"), Target.of("a", "g0"), Reason.BELOW_FLOOR),
                        new Load(key("m"), Target.of("b", "g0"), Reason.BELOW_FLOOR));
    }

    @Test
    void reportsCopiesThatFitNowhere() {
        ClusterView view = new ViewBuilder().node("a", GIB).build();

        ScaleDecision d = scaler.scale(view, specs(m.withMinCopies(2)), NOW);

        assertThat(d.actions()).isEmpty();
        assertThat(d.unplaced()).containsExactly(key("m"), key("m"));
    }

    @Test
    void scaleUpEvictsAColdModelWhenThereIsNoRoom() {
        CopyView cold = used(copy("cold", "b", "g0", 3 * GIB), 10 * SECOND, 1);
        ClusterView view = new ViewBuilder()
                .node("a", 4 * GIB)
                .node("b", 4 * GIB)
                .copies(rate(copy("m", "a", "g0", 2 * GIB), 15), cold)
                .build();
        Map<ModelKey, ModelSpec> specs = specs(m, spec("cold", 3 * GIB));

        ScaleDecision d = scaler.scale(view, specs, NOW);

        assertThat(d.actions())
                .containsExactly(
                        new Unload(cold, Reason.MAKE_ROOM), new Load(key("m"), Target.of("b", "g0"), Reason.SCALE_UP));
        assertBudgetsHold(view, d.actions(), specs);
    }

    @Test
    void floorsArePlacedBeforeRateDrivenCopies() {
        ModelSpec hot = spec("a-hot", 2 * GIB);
        ModelSpec floor = spec("z-floor", 2 * GIB).withMinCopies(1);
        ClusterView view = new ViewBuilder()
                .node("a", 2 * GIB)
                .node("b", 2 * GIB)
                .copies(rate(copy("a-hot", "a", "g0", 2 * GIB), 100).withInFlight(3))
                .build();

        ScaleDecision d = scaler.scale(view, specs(hot, floor), NOW);

        assertThat(d.actions()).containsExactly(new Load(key("z-floor"), Target.of("b", "g0"), Reason.BELOW_FLOOR));
        assertThat(d.desired()).containsEntry(key("a-hot"), 4);
        assertThat(d.unplaced()).containsExactly(key("a-hot"), key("a-hot"), key("a-hot"));
    }

    @Test
    void neverMoreThanMaxCopies() {
        ClusterView view = threeNodes()
                .node("d", 16 * GIB)
                .node("e", 16 * GIB)
                .copies(rate(copy("m", "a", "g0", 2 * GIB), 1_000))
                .build();

        ScaleDecision d = scaler.scale(view, specs(m), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 4);
        assertThat(Fixtures.loads(d.actions())).hasSize(3);
    }

    @Test
    void keepsTheLastReadyCopyWhileAnotherIsLoading() {
        CopyView ready = copy("m", "a", "g0", 2 * GIB);
        CopyView loading = copy("m", "b", "g0", 2 * GIB).withState(CopyState.LOADING);
        ClusterView view = threeNodes().copies(ready, loading).build();

        ScaleDecision d = scaler.scale(view, specs(m), NOW);

        assertThat(d.desired()).containsEntry(key("m"), 1);
        assertThat(d.actions()).isEmpty();
    }

    @Test
    void copiesOnLostNodesDoNotCount() {
        ClusterView view = threeNodes().copies(copy("m", "gone", "g0", 2 * GIB)).build();

        ScaleDecision d = scaler.scale(view, specs(m.withMinCopies(1)), NOW);

        assertThat(d.actions()).containsExactly(new Load(key("m"), Target.of("a", "g0"), Reason.BELOW_FLOOR));
    }

    private static ViewBuilder threeNodes() {
        return new ViewBuilder().node("a", 16 * GIB).node("b", 16 * GIB).node("c", 16 * GIB);
    }
}
