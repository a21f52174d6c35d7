package dev.modelmux.placement;

import static dev.modelmux.placement.Fixtures.GIB;
import static dev.modelmux.placement.Fixtures.SECOND;
import static dev.modelmux.placement.Fixtures.copy;
import static dev.modelmux.placement.Fixtures.loadedAt;
import static dev.modelmux.placement.Fixtures.spec;
import static dev.modelmux.placement.Fixtures.specs;
import static dev.modelmux.placement.Fixtures.used;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.placement.Fixtures.ViewBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Unless a test says otherwise: the clock reads 1,000 s, copies were loaded at 0 and are 4 GiB
 * with unknown load time (so cost per byte is equal), and the device's typical residency is
 * 1,000 s. A copy's rate is then {@code min(uses / 2000 s, 8 / idle)}.
 */
class EvictorTest {
    private static final long NOW = 1_000 * SECOND;
    private static final Target DEVICE = Target.of("a", "g0");
    private final Evictor evictor = Evictor.costAware(EvictorConfig.defaults()); // 60 s churn guard

    // rate 0.05/s
    private final CopyView hot = used(copy("hot", "a", "g0", 4 * GIB), 999 * SECOND, 100);
    // rate 0.0005/s
    private final CopyView cold = used(copy("cold", "a", "g0", 4 * GIB), 10 * SECOND, 1);
    // rate 0.025/s
    private final CopyView warm = used(copy("warm", "a", "g0", 4 * GIB), 990 * SECOND, 50);

    @Test
    void exactVictimsInPriorityOrder() {
        ClusterView view = device(hot, cold, warm);

        assertThat(victims(view, 4 * GIB, Map.of())).containsExactly(cold);
        assertThat(victims(view, 4 * GIB + 1, Map.of())).containsExactly(cold, warm);
        assertThat(victims(view, 12 * GIB, Map.of())).containsExactly(cold, warm, hot);
    }

    @Test
    void allOrNothing() {
        ClusterView view = device(hot, cold, warm);

        assertThat(evictor.choose(view, DEVICE, 12 * GIB + 1, Map.of(), NOW)).isEmpty();
    }

    @Test
    void nothingToFreeIsAnEmptyEviction() {
        ClusterView view = device(hot);

        assertThat(evictor.choose(view, DEVICE, 0, Map.of(), NOW)).contains(Eviction.none());
        assertThat(evictor.choose(view, Target.of("gone", "g0"), GIB, Map.of(), NOW))
                .isEmpty();
    }

    @Test
    void neverInFlightPinnedYoungLoadingUnloadingOrBelowMinCopies() {
        // Each of these has never been used, so on priority alone it would go first.
        CopyView inFlight = copy("inflight", "a", "g0", 4 * GIB).withInFlight(1);
        CopyView pinned = copy("pinned", "a", "g0", 4 * GIB);
        CopyView young = loadedAt(copy("young", "a", "g0", 4 * GIB), NOW - 30 * SECOND);
        CopyView loading = copy("loading", "a", "g0", 4 * GIB).withState(CopyState.LOADING);
        CopyView unloading = copy("unloading", "a", "g0", 4 * GIB).withState(CopyState.UNLOADING);
        CopyView floor = copy("floor", "a", "g0", 4 * GIB);
        ClusterView view = new ViewBuilder()
                .node("a", 100 * GIB)
                .copies(inFlight, pinned, young, loading, unloading, floor, hot, cold, warm)
                .build();
        Map<ModelKey, ModelSpec> specs = specs(
                spec("pinned", 4 * GIB).withPinned(true), spec("floor", 4 * GIB).withMinCopies(1));

        assertThat(victims(view, 4 * GIB, specs)).containsExactly(cold);
        assertThat(victims(view, 12 * GIB, specs)).containsExactly(cold, warm, hot);
        assertThat(evictor.choose(view, DEVICE, 12 * GIB + 1, specs, NOW)).isEmpty();
    }

    @Test
    void churnGuardIsConfigurable() {
        CopyView young = loadedAt(copy("young", "a", "g0", 4 * GIB), NOW - 30 * SECOND);
        ClusterView view = device(young);
        Evictor noGuard = Evictor.costAware(EvictorConfig.defaults().withMinResidencyNanos(0));

        assertThat(evictor.choose(view, DEVICE, GIB, Map.of(), NOW)).isEmpty();
        assertThat(noGuard.choose(view, DEVICE, GIB, Map.of(), NOW)
                        .orElseThrow()
                        .victims())
                .containsExactly(young);
    }

    @Test
    void dropsVictimsThatAreNotNeeded() {
        CopyView small = copy("small", "a", "g0", 1 * GIB); // never used: first in line
        CopyView big = used(copy("big", "a", "g0", 6 * GIB), 10 * SECOND, 1);
        ClusterView view = device(small, big, hot);

        Eviction e = evictor.choose(view, DEVICE, 5 * GIB, Map.of(), NOW).orElseThrow();

        assertThat(e.victims()).containsExactly(big);
        assertThat(e.freedBytes()).isEqualTo(6 * GIB);
    }

    @Test
    void prefersAnExtraCopyOverTheLastCopyOfAModel() {
        CopyView extra = used(copy("twice", "a", "g0", 4 * GIB), NOW, 500);
        CopyView elsewhere = copy("twice", "b", "g0", 4 * GIB);
        ClusterView view = new ViewBuilder()
                .node("a", 40 * GIB)
                .node("b", 40 * GIB)
                .copies(extra, elsewhere, cold)
                .build();

        assertThat(victims(view, 4 * GIB, Map.of())).containsExactly(extra);

        ClusterView stillLoading = new ViewBuilder()
                .node("a", 40 * GIB)
                .node("b", 40 * GIB)
                .copies(extra, elsewhere.withState(CopyState.LOADING), cold)
                .build();
        assertThat(victims(stillLoading, 4 * GIB, Map.of())).containsExactly(cold);
    }

    @Test
    void cheapToReloadBigModelGoesBeforeAnExpensiveOneOfSimilarRecency() {
        CopyView cheap = used(copy("cheap", "a", "g0", 8 * GIB), 501 * SECOND, 3);
        CopyView dear = used(copy("dear", "a", "g0", 8 * GIB), 500 * SECOND, 3);
        CopyView dearSmall = used(copy("dear-small", "a", "g0", 2 * GIB), 500 * SECOND, 3);
        Map<ModelKey, ModelSpec> specs = specs(
                spec("cheap", 8 * GIB).withMeasured(8 * GIB, 2 * SECOND),
                spec("dear", 8 * GIB).withMeasured(8 * GIB, 60 * SECOND),
                spec("dear-small", 2 * GIB).withMeasured(2 * GIB, 30 * SECOND));

        assertThat(victims(device(cheap, dear), GIB, specs)).containsExactly(cheap);
        // Even though the small one alone would free enough, evicting it costs more to undo.
        assertThat(victims(device(cheap, dearSmall), 2 * GIB, specs)).containsExactly(cheap);
    }

    @Test
    void unknownLoadTimeIsEstimatedFromSizeNotTakenAsFree() {
        CopyView unknown = used(copy("unknown", "a", "g0", 4 * GIB), 500 * SECOND, 3); // ~16 s at 256 MiB/s
        CopyView fast = used(copy("fast", "a", "g0", 4 * GIB), 500 * SECOND, 3);
        CopyView slow = used(copy("slow", "a", "g0", 4 * GIB), 500 * SECOND, 3);
        Map<ModelKey, ModelSpec> specs = specs(
                spec("fast", 4 * GIB).withMeasured(4 * GIB, SECOND),
                spec("slow", 4 * GIB).withMeasured(4 * GIB, 60 * SECOND));

        assertThat(victims(device(unknown, fast, slow), 8 * GIB, specs)).containsExactly(fast, unknown);
    }

    @Test
    void longIdleOutweighsOnceHighFrequency() {
        CopyView onceHot = used(copy("once-hot", "a", "g0", 4 * GIB), 50 * SECOND, 10_000);
        CopyView steady = used(copy("steady", "a", "g0", 4 * GIB), 995 * SECOND, 40);

        assertThat(victims(device(onceHot, steady), GIB, Map.of())).containsExactly(onceHot);
    }

    @Test
    void recentRequestRateProtectsABusyCopy() {
        CopyView busyNow = Fixtures.rate(used(copy("busy-now", "a", "g0", 4 * GIB), 10 * SECOND, 1), 50);

        assertThat(victims(device(busyNow, warm), GIB, Map.of())).containsExactly(warm);
    }

    @Test
    void failedCopiesGoFirstAndIgnoreTheChurnGuard() {
        CopyView failed = loadedAt(copy("failed", "a", "g0", GIB), NOW).withState(CopyState.FAILED);

        assertThat(victims(device(cold, failed), GIB, Map.of())).containsExactly(failed);
    }

    @Test
    void tiesGoToTheLargerCopyThenByName() {
        CopyView small = copy("a-small", "a", "g0", 2 * GIB);
        CopyView large = copy("z-large", "a", "g0", 4 * GIB);
        CopyView twin = copy("b-twin", "a", "g0", 4 * GIB);

        assertThat(victims(device(small, large, twin), GIB, Map.of())).containsExactly(twin);
        assertThat(victims(device(small, large), GIB, Map.of())).containsExactly(large);
    }

    @Test
    void costIsExpectedReloadSecondsPerSecond() {
        CopyView c = used(copy("c", "a", "g0", 4 * GIB), 990 * SECOND, 50); // 0.025 req/s
        Map<ModelKey, ModelSpec> specs = specs(spec("c", 4 * GIB).withMeasured(4 * GIB, 10 * SECOND));

        Eviction e = evictor.choose(device(c), DEVICE, GIB, specs, NOW).orElseThrow();

        assertThat(e.cost()).isCloseTo(0.25, Assertions.within(1e-6));
    }

    private List<CopyView> victims(ClusterView view, long bytes, Map<ModelKey, ModelSpec> specs) {
        Optional<Eviction> e = evictor.choose(view, DEVICE, bytes, specs, NOW);
        assertThat(e).as("an eviction freeing %d bytes", bytes).isPresent();
        assertThat(e.get().freedBytes()).isGreaterThanOrEqualTo(bytes);
        return e.get().victims();
    }

    private static ClusterView device(CopyView... copies) {
        return new ViewBuilder().node("a", 100 * GIB).copies(copies).build();
    }
}
