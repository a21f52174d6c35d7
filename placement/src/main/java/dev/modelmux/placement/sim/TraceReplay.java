package dev.modelmux.placement.sim;

import dev.modelmux.placement.Evictor;
import dev.modelmux.placement.EvictorConfig;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Replays one seeded Zipf trace through the cost-aware policy, LRU and Belady at several cache
 * sizes, and prints their hit ratios side by side.
 *
 * <p>Usage: {@code TraceReplay [models] [accesses] [skew] [seed]}; defaults from
 * {@link TraceConfig#defaults()}. The churn guard is off here: the trace's time scale is
 * synthetic, and a guard sized for real loads would just refuse most evictions.
 */
public final class TraceReplay {
    /** Cache sizes as fractions of the trace's total model bytes. */
    public static final double[] CACHE_FRACTIONS = {0.10, 0.25, 0.50};

    private TraceReplay() {}

    public static void main(String[] args) {
        TraceConfig d = TraceConfig.defaults();
        TraceConfig config = new TraceConfig(
                args.length > 0 ? Integer.parseInt(args[0]) : d.models(),
                args.length > 1 ? Integer.parseInt(args[1]) : d.accesses(),
                args.length > 2 ? Double.parseDouble(args[2]) : d.skew(),
                d.minBytes(),
                d.maxBytes(),
                d.loadNanosPerMiB(),
                d.meanGapNanos(),
                args.length > 3 ? Long.parseLong(args[3]) : d.seed());
        print(config, Trace.zipf(config), System.out);
    }

    /** The three policies over {@code trace} with a cache of {@code capacityBytes}: cost-aware, LRU, Belady. */
    public static List<PolicyStats> compare(Trace trace, long capacityBytes) {
        Evictor evictor = Evictor.costAware(EvictorConfig.defaults().withMinResidencyNanos(0));
        return List.of(
                replay(Policy.costAware(capacityBytes, evictor, trace.models()), trace.accesses()),
                replay(Policy.lru(capacityBytes), trace.accesses()),
                replay(Policy.belady(capacityBytes, trace.accesses()), trace.accesses()));
    }

    public static PolicyStats replay(Policy policy, List<Access> accesses) {
        for (Access a : accesses) {
            policy.record(a);
        }
        return policy.stats();
    }

    static void print(TraceConfig config, Trace trace, PrintStream out) {
        long total = trace.totalModelBytes();
        out.printf(
                Locale.ROOT,
                "Zipf(%.2f) over %d models, %d requests, sizes %d-%d MiB, total %.1f GiB, seed %d%n",
                config.skew(),
                config.models(),
                config.accesses(),
                config.minBytes() / TraceConfig.MIB,
                config.maxBytes() / TraceConfig.MIB,
                total / (double) (1L << 30),
                config.seed());
        out.printf(
                Locale.ROOT,
                "%-6s %-11s %9s %9s %10s %10s%n",
                "cache",
                "policy",
                "byte-hit",
                "hit",
                "evictions",
                "load-s");
        for (double f : CACHE_FRACTIONS) {
            List<PolicyStats> stats = compare(trace, (long) (total * f));
            for (PolicyStats s : stats) {
                out.printf(
                        Locale.ROOT,
                        "%-6s %-11s %9.4f %9.4f %10d %10.1f%n",
                        Math.round(f * 100) + "%",
                        s.policy(),
                        s.byteHitRatio(),
                        s.hitRatio(),
                        s.evictions(),
                        s.loadNanos() / 1e9);
            }
            PolicyStats ours = stats.get(0);
            PolicyStats belady = stats.get(2);
            out.printf(
                    Locale.ROOT,
                    "%-6s %-11s %9.3f %9.3f%n",
                    "",
                    "ours/belady",
                    ours.byteHitRatio() / belady.byteHitRatio(),
                    ours.hitRatio() / belady.hitRatio());
        }
    }
}
