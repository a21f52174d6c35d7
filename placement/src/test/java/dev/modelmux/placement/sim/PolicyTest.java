package dev.modelmux.placement.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.placement.Evictor;
import dev.modelmux.placement.EvictorConfig;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicyTest {
    private static final long SECOND = 1_000_000_000L;
    private static final long GIB = 1L << 30;

    @Test
    void lruEvictsTheLeastRecentlyUsed() {
        List<Access> trace = trace(4 * GIB, "a", "b", "a", "c", "b");

        assertThat(hits(Policy.lru(10 * GIB), trace)).containsExactly(false, false, true, false, false);
    }

    @Test
    void beladyEvictsTheFarthestNextUse() {
        List<Access> trace = trace(4 * GIB, "a", "b", "a", "c", "b");
        Policy belady = Policy.belady(10 * GIB, trace);

        assertThat(hits(belady, trace)).containsExactly(false, false, true, false, true);
        assertThat(belady.stats().byteHitRatio()).isEqualTo(0.4);
        assertThat(belady.stats().hitRatio()).isEqualTo(0.4);
    }

    @Test
    void beladyBypassesAModelNeededLaterThanEveryResident() {
        List<Access> trace = trace(4 * GIB, "a", "b", "c", "a", "b");

        assertThat(hits(Policy.belady(8 * GIB, trace), trace)).containsExactly(false, false, false, true, true);
        assertThat(hits(Policy.lru(8 * GIB), trace)).containsExactly(false, false, false, false, false);
    }

    @Test
    void beladyMustBeFedItsOwnTrace() {
        List<Access> trace = trace(GIB, "a", "b");
        Policy belady = Policy.belady(8 * GIB, trace);

        assertThatThrownBy(() -> belady.record(trace.get(1))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void costAwareKeepsTheFrequentModelWhereLruDropsIt() {
        // a three times, then b once, then c: LRU evicts a; the cost-aware policy evicts b.
        List<Access> trace = trace(4 * GIB, "a", "a", "a", "b", "c", "a");
        Map<ModelKey, ModelSpec> models = new HashMap<>();
        for (Access x : trace) {
            models.put(x.model(), ModelSpec.of(x.model(), x.sizeBytes()).withMeasured(x.sizeBytes(), x.loadNanos()));
        }
        Policy ours = Policy.costAware(
                8 * GIB, Evictor.costAware(EvictorConfig.defaults().withMinResidencyNanos(0)), models);

        assertThat(hits(ours, trace)).containsExactly(false, true, true, false, false, true);
        assertThat(hits(Policy.lru(8 * GIB), trace)).containsExactly(false, true, true, false, false, false);
    }

    @Test
    void costAwareDoesNotAdmitWhatTheChurnGuardProtectsAgainst() {
        List<Access> trace = trace(4 * GIB, "a", "b", "c", "c");
        Policy guarded = Policy.costAware(8 * GIB, Evictor.defaults(), Map.of()); // 60 s guard, trace spans 4 s

        assertThat(hits(guarded, trace)).containsExactly(false, false, false, false);
        assertThat(guarded.residentBytes()).isEqualTo(8 * GIB);
    }

    @Test
    void neverAdmitsAModelLargerThanTheCacheAndNeverExceedsCapacity() {
        Trace t = Trace.zipf(TraceConfig.defaults().withSize(200, 5_000));
        long capacity = t.totalModelBytes() / 10;
        List<Policy> policies = List.of(
                Policy.lru(capacity),
                Policy.belady(capacity, t.accesses()),
                Policy.costAware(
                        capacity, Evictor.costAware(EvictorConfig.defaults().withMinResidencyNanos(0)), t.models()));
        for (Policy p : policies) {
            for (Access a : t.accesses()) {
                p.record(a);
                assertThat(p.residentBytes()).as(p.name()).isLessThanOrEqualTo(capacity);
            }
            assertThat(p.stats().accesses()).isEqualTo(5_000);
        }

        List<Access> huge = trace(10 * GIB, "x", "x");
        assertThat(hits(Policy.lru(8 * GIB), huge)).containsExactly(false, false);
    }

    /** Accesses one second apart, every model the same size, loads at 1 s per GiB. */
    private static List<Access> trace(long size, String... models) {
        var list = new ArrayList<Access>();
        for (int i = 0; i < models.length; i++) {
            list.add(new Access(ModelKey.of(models[i], 1), size, size / GIB * SECOND, (i + 1) * SECOND));
        }
        return list;
    }

    private static List<Boolean> hits(Policy p, List<Access> trace) {
        var out = new ArrayList<Boolean>();
        for (Access a : trace) {
            out.add(p.record(a));
        }
        return out;
    }
}
