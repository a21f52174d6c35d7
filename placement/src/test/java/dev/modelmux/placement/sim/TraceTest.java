package dev.modelmux.placement.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.placement.ModelKey;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TraceTest {
    private final TraceConfig config = TraceConfig.defaults().withSize(1_000, 50_000);

    @Test
    void sameSeedSameTraceOtherSeedOtherTrace() {
        assertThat(Trace.zipf(config)).isEqualTo(Trace.zipf(config));
        assertThat(Trace.zipf(config.withSeed(7)).accesses())
                .isNotEqualTo(Trace.zipf(config).accesses());
    }

    @Test
    void sizesInRangeLoadCostProportionalTimeMovesForward() {
        Trace t = Trace.zipf(config);
        long previous = -1;
        for (Access a : t.accesses()) {
            assertThat(a.sizeBytes()).isBetween(config.minBytes(), config.maxBytes());
            assertThat(a.loadNanos())
                    .isEqualTo((long) ((double) a.sizeBytes() / TraceConfig.MIB * config.loadNanosPerMiB()));
            assertThat(a.nowNanos()).isGreaterThanOrEqualTo(previous);
            previous = a.nowNanos();
        }
        assertThat(t.models()).hasSize(1_000);
        assertThat(t.totalModelBytes()).isGreaterThan(Integer.MAX_VALUE);
    }

    @Test
    void popularityFollowsZipf() {
        // Zipf(1) over 1,000 ranks: the top one draws 1/H(1000) ≈ 13.4%, the tenth ≈ 1.34%.
        Map<ModelKey, Integer> counts = new HashMap<>();
        for (Access a : Trace.zipf(config).accesses()) {
            counts.merge(a.model(), 1, Integer::sum);
        }
        var sorted = counts.values().stream().sorted((a, b) -> b - a).toList();
        assertThat(sorted.get(0) / 50_000.0).isBetween(0.12, 0.15);
        assertThat(sorted.get(9) / 50_000.0).isBetween(0.010, 0.017);

        Map<ModelKey, Integer> uniform = new HashMap<>();
        for (Access a : Trace.zipf(config.withSkew(0)).accesses()) {
            uniform.merge(a.model(), 1, Integer::sum);
        }
        assertThat(uniform.values().stream().mapToInt(i -> i).max().orElseThrow())
                .isLessThan(100);
    }
}
