package dev.modelmux.bench;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.HdrHistogram.Histogram;

/**
 * Hedged requests against a holder that stalls: two copies of the same tiny MLP, one with hedging
 * (the default) and one with {@code hedging: "false"}, both loaded on nodes 1 and 2 only (node 0
 * has them forwarded). Node 2 is paused with SIGSTOP for {@code pauseMs} of every {@code periodMs}
 * (as a long GC pause or a noisy neighbour would), while one client sends the same request for the
 * two models through node 0, alternating, and records each latency. Prints both latency rows, the
 * p99 ratio, and the hedges node 0 sent and won.
 */
final class HedgePhase {
    private HedgePhase() {}

    static void run(
            MeshClient client,
            List<NodeProcess> nodes,
            BenchModel hedged,
            BenchModel plain,
            Map<String, Map<String, float[]>> reference,
            int iterations,
            long pauseMs,
            long periodMs,
            List<MeshBench.Row> summary)
            throws Exception {
        NodeProcess entry = nodes.get(0);
        NodeProcess steady = nodes.get(1);
        NodeProcess stalling = nodes.get(2);
        System.out.printf(
                Locale.ROOT,
                "1b. hedged requests: %s and %s (the same MLP, hedging on and off) loaded on %s and %s, sent"
                        + " through %s; %s paused %d ms of every %d ms%n",
                hedged.name(),
                plain.name(),
                steady.id,
                stalling.id,
                entry.id,
                stalling.id,
                pauseMs,
                periodMs);
        for (BenchModel m : List.of(hedged, plain)) {
            for (NodeProcess n : List.of(steady, stalling)) {
                int status =
                        client.post(n.httpPort(), "/v2/repository/models/" + m.name() + "/load", MeshBench.ADMIN_TOKEN);
                if (status != 200) {
                    throw new IllegalStateException("loading " + m.name() + " on " + n.id + " answered " + status);
                }
            }
        }
        // The entry node reads the holders' reports every second.
        Thread.sleep(2_500);
        for (int i = 0; i < 300; i++) {
            client.ok(entry.grpcPort(), hedged.request());
            client.ok(entry.grpcPort(), plain.request());
        }
        String sentLine = "modelmux_forward_hedges_total{outcome=\"sent\"";
        String wonLine = "modelmux_forward_hedges_total{outcome=\"won\"";
        double sentBefore = client.metric(entry.httpPort(), sentLine);
        double wonBefore = client.metric(entry.httpPort(), wonLine);

        AtomicBoolean pausing = new AtomicBoolean(true);
        Thread pauser = new Thread(
                () -> {
                    try {
                        while (pausing.get()) {
                            signal("STOP", stalling.pid());
                            Thread.sleep(pauseMs);
                            signal("CONT", stalling.pid());
                            Thread.sleep(periodMs - pauseMs);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        signal("CONT", stalling.pid());
                    }
                },
                "bench-pauser");
        Histogram on = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        Histogram off = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        int errors = 0;
        double worst = 0;
        pauser.start();
        try {
            for (int i = 0; i < iterations; i++) {
                for (int j = 0; j < 2; j++) {
                    BenchModel m = (i + j) % 2 == 0 ? hedged : plain;
                    long t = System.nanoTime();
                    MeshClient.Reply r = client.call(entry.grpcPort(), m.request(), 10_000);
                    long nanos = System.nanoTime() - t;
                    if (!r.ok()) {
                        errors++;
                        continue;
                    }
                    (m == hedged ? on : off).recordValue(nanos);
                    if (i % 50 == 0) {
                        worst = Math.max(
                                worst,
                                BenchModel.maxRelativeError(reference.get(m.name()), BenchModel.outputs(r.body())));
                    }
                }
            }
        } finally {
            pausing.set(false);
            pauser.interrupt();
            pauser.join();
        }
        double sent = client.metric(entry.httpPort(), sentLine) - sentBefore;
        double won = client.metric(entry.httpPort(), wonLine) - wonBefore;
        System.out.printf(Locale.ROOT, "%-26s %9s %9s %9s %9s%n", "model", "p50 us", "p99 us", "p99.9 us", "max us");
        line(hedged.name() + " (hedging)", on);
        line(plain.name() + " (no hedging)", off);
        double ratio = us(on, 99) / us(off, 99);
        System.out.printf(
                Locale.ROOT,
                "p99 with hedging / without: %.2fx (p50 %.2fx); hedges sent %.0f (%.1f%% of %d forwards), won %.0f;"
                        + " errors %d; max error vs in-process %.1e%n",
                ratio,
                us(on, 50) / us(off, 50),
                sent,
                100.0 * sent / iterations,
                iterations,
                won,
                errors,
                worst);
        summary.add(new MeshBench.Row(
                "hedging: p99 with / without, one holder pausing",
                String.format(Locale.ROOT, "%.2fx (%.1f -> %.1f ms)", ratio, us(off, 99) / 1000, us(on, 99) / 1000),
                "< 1x",
                errors == 0 && ratio < 1 ? "yes" : "no"));
        System.out.println();
    }

    private static void signal(String name, long pid) {
        try {
            new ProcessBuilder("kill", "-" + name, Long.toString(pid))
                    .inheritIO()
                    .start()
                    .waitFor();
        } catch (IOException e) {
            throw new IllegalStateException("could not send SIG" + name + " to " + pid, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void line(String label, Histogram h) {
        System.out.printf(
                Locale.ROOT,
                "%-26s %9.0f %9.0f %9.0f %9.0f%n",
                label,
                us(h, 50),
                us(h, 99),
                us(h, 99.9),
                h.getMaxValue() / 1000.0);
    }

    private static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }
}
