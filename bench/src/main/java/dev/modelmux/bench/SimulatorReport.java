package dev.modelmux.bench;

import dev.modelmux.placement.sim.PolicyStats;
import dev.modelmux.placement.sim.Trace;
import dev.modelmux.placement.sim.TraceConfig;
import dev.modelmux.placement.sim.TraceReplay;
import java.util.List;
import java.util.Locale;

/**
 * The placement simulator's part of the mesh bench: one seeded Zipf(1.0) trace over 1,000 models
 * ({@link TraceConfig#defaults()}) replayed by {@link TraceReplay#compare} through our cost-aware
 * policy, LRU and Belady with a cache of 10% of the models' total bytes.
 */
final class SimulatorReport {
    private SimulatorReport() {}

    static void run(List<MeshBench.Row> summary) {
        TraceConfig config = TraceConfig.defaults();
        Trace trace = Trace.zipf(config);
        long capacity = (long) (trace.totalModelBytes() * 0.10);
        long t = System.nanoTime();
        List<PolicyStats> stats = TraceReplay.compare(trace, capacity);
        System.out.printf(
                Locale.ROOT,
                "4. placement simulator: Zipf(%.1f) over %d models, %d requests, seed %d; cache %.2f GiB = 10%% of %.2f GiB"
                        + " (replayed in %.1f s)%n",
                config.skew(),
                config.models(),
                config.accesses(),
                config.seed(),
                capacity / (double) (1L << 30),
                trace.totalModelBytes() / (double) (1L << 30),
                (System.nanoTime() - t) / 1e9);
        System.out.printf(Locale.ROOT, "%-12s %10s %10s %10s%n", "policy", "byte-hit", "hit", "evictions");
        for (PolicyStats s : stats) {
            System.out.printf(
                    Locale.ROOT,
                    "%-12s %10.4f %10.4f %10d%n",
                    s.policy(),
                    s.byteHitRatio(),
                    s.hitRatio(),
                    s.evictions());
        }
        double ours = stats.get(0).byteHitRatio();
        double lru = stats.get(1).byteHitRatio();
        double belady = stats.get(2).byteHitRatio();
        System.out.printf(Locale.ROOT, "byte-weighted: ours/LRU %.3fx, ours/Belady %.3fx%n", ours / lru, ours / belady);
        summary.add(new MeshBench.Row(
                "simulator byte-hit, ours / LRU",
                String.format(Locale.ROOT, "%.4f / %.4f = %.3fx", ours, lru, ours / lru),
                "> 1",
                ours > lru ? "yes" : "no"));
        summary.add(new MeshBench.Row(
                "simulator byte-hit, ours / Belady",
                String.format(Locale.ROOT, "%.4f / %.4f = %.3fx", ours, belady, ours / belady),
                ">= " + MeshBench.BELADY_TARGET,
                ours / belady >= MeshBench.BELADY_TARGET ? "yes" : "no"));
    }
}
