package dev.modelmux.placement.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The three policies side by side on seeded Zipf traces of 1,000 models of 1–40 MiB. Belady is
 * the reference (offline, it sees the future); the cost-aware policy must at least match LRU on
 * the byte-weighted hit ratio, since sizes vary 40-fold and the eviction weighs them.
 */
class TraceReplayTest {

    @ParameterizedTest(name = "Zipf({0}), {1} requests, seed {2}")
    @CsvSource({"1.0, 50000, 42", "0.8, 30000, 1", "1.2, 30000, 2"})
    void beladyLeadsAndOursBeatsLru(double skew, int accesses, long seed) {
        Trace trace = Trace.zipf(
                TraceConfig.defaults().withSkew(skew).withSize(1_000, accesses).withSeed(seed));
        for (double fraction : TraceReplay.CACHE_FRACTIONS) {
            List<PolicyStats> stats = TraceReplay.compare(trace, (long) (trace.totalModelBytes() * fraction));
            PolicyStats ours = stats.get(0);
            PolicyStats lru = stats.get(1);
            PolicyStats belady = stats.get(2);
            String at = String.format(Locale.ROOT, "Zipf(%.1f) cache %.0f%%", skew, fraction * 100);
            for (PolicyStats s : stats) {
                System.out.printf(
                        Locale.ROOT,
                        "%s %-10s byte-hit %.4f hit %.4f%n",
                        at,
                        s.policy(),
                        s.byteHitRatio(),
                        s.hitRatio());
            }

            assertThat(belady.byteHitRatio())
                    .as(at + " belady vs ours, bytes")
                    .isGreaterThanOrEqualTo(ours.byteHitRatio());
            assertThat(belady.byteHitRatio())
                    .as(at + " belady vs lru, bytes")
                    .isGreaterThanOrEqualTo(lru.byteHitRatio());
            assertThat(belady.hitRatio()).as(at + " belady vs ours").isGreaterThanOrEqualTo(ours.hitRatio());
            assertThat(belady.hitRatio()).as(at + " belady vs lru").isGreaterThanOrEqualTo(lru.hitRatio());
            assertThat(ours.byteHitRatio()).as(at + " ours vs lru, bytes").isGreaterThanOrEqualTo(lru.byteHitRatio());
        }
    }

    @Test
    void printsATableForEveryCacheSize() {
        var bytes = new ByteArrayOutputStream();
        TraceConfig small = TraceConfig.defaults().withSize(100, 2_000);

        TraceReplay.print(small, Trace.zipf(small), new PrintStream(bytes, true, StandardCharsets.UTF_8));

        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("Zipf(1.00) over 100 models, 2000 requests");
        assertThat(out.lines().filter(l -> l.contains("cost-aware"))).hasSize(3);
        assertThat(out.lines().filter(l -> l.contains("belady") && !l.contains("ours")))
                .hasSize(3);
    }
}
