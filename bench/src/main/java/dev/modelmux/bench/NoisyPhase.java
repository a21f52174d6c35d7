package dev.modelmux.bench;

import dev.modelmux.admission.tenant.TenantPolicy;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The noisy-neighbour phase of {@code bench/latency}: two tenants written to the running node through
 * the admin API ({@code PUT /api/v1/tenants}): a victim without a rate quota and a flooder with one.
 * The victim (its own Java client process) calls at a steady open-loop rate, alone, then while the
 * flooder (another Java client process) offers {@code --flood-factor} (10) times its quota. Prints the
 * victim's p99 alone and during the flood, its errors, and the node's CPU time per rejected request:
 * the node process's CPU time (utime + stime from {@code /proc/<pid>/stat}) over the flood, divided by
 * the rejections; and the same net of the CPU the node spent per second while the victim ran alone.
 *
 * <p>Flags: {@code --victim-model minilm-q --victim-rate 20 --noisy-seconds 12 --flood-model tiny-mlp
 * --flood-quota 100 --flood-factor 10}.
 */
final class NoisyPhase {
    static final String VICTIM_KEY = "bench-victim-key-0123456789";
    static final String FLOODER_KEY = "bench-flooder-key-0123456789";

    private final LatencyRig rig;
    private final String victimModel;
    private final double victimRate;
    private final int seconds;
    private final String floodModel;
    private final int floodQuota;
    private final int floodFactor;

    NoisyPhase(LatencyRig rig, String[] args) {
        this.rig = rig;
        this.victimModel = BenchArgs.stringArg(args, "--victim-model", "minilm-q");
        this.victimRate = BenchArgs.intArg(args, "--victim-rate", 20);
        this.seconds = BenchArgs.intArg(args, "--noisy-seconds", 12);
        this.floodModel = BenchArgs.stringArg(args, "--flood-model", "tiny-mlp");
        this.floodQuota = BenchArgs.intArg(args, "--flood-quota", 100);
        this.floodFactor = BenchArgs.intArg(args, "--flood-factor", 10);
    }

    void run() throws Exception {
        double floodRate = (double) floodQuota * floodFactor;
        System.out.printf(
                Locale.ROOT,
                "%n== noisy neighbour: victim %s at %.0f req/s (open loop, %d s), alone then while a flooder"
                        + " (its own process) offers %.0f req/s of %s against a quota of %d req/s%n",
                victimModel,
                victimRate,
                seconds,
                floodRate,
                floodModel,
                floodQuota);
        writeTenants();
        ChildProcess victim = rig.startJavaClient("victim");
        ChildProcess flooder = rig.startJavaClient("flooder");
        awaitTenantsInForce(victim);
        // Warm both clients and the node's paths (admitted and rejected) before measuring.
        victim.run(victimCommand(3), 120_000);
        flooder.run(floodCommand(floodRate, 3), 120_000);
        Thread.sleep(1_000);

        double cpu0 = cpuSeconds(rig.node.pid());
        RunResult alone = victim.run(victimCommand(seconds), 600_000);
        double cpuAlone = cpuSeconds(rig.node.pid()) - cpu0;
        Thread.sleep(1_000);

        double cpu1 = cpuSeconds(rig.node.pid());
        flooder.send(floodCommand(floodRate, seconds + 2));
        Thread.sleep(1_000);
        RunResult during = victim.run(victimCommand(seconds), 600_000);
        RunResult flood = flooder.result(600_000);
        double cpuFlood = cpuSeconds(rig.node.pid()) - cpu1;

        long rejected = flood.errors("RESOURCE_EXHAUSTED");
        System.out.printf(
                Locale.ROOT,
                "victim alone:        p50 %7.0f us  p99 %7.0f us  max %7.0f us  %d ok, errors %s%n",
                alone.percentile(50),
                alone.percentile(99),
                alone.percentile(100),
                alone.ok(),
                alone.errors());
        System.out.printf(
                Locale.ROOT,
                "victim during flood: p50 %7.0f us  p99 %7.0f us  max %7.0f us  %d ok, errors %s%n",
                during.percentile(50),
                during.percentile(99),
                during.percentile(100),
                during.ok(),
                during.errors());
        System.out.printf(
                Locale.ROOT,
                "flooder: %.0f req/s offered for %.1f s: %d admitted, %d rejected (RESOURCE_EXHAUSTED), other %s%n",
                floodRate,
                flood.elapsedS(),
                flood.ok(),
                rejected,
                otherErrors(flood));
        double perSecondAlone = cpuAlone / alone.elapsedS();
        double net = cpuFlood - perSecondAlone * flood.elapsedS();
        System.out.printf(
                Locale.ROOT,
                "node CPU: %.2f s over the flood (%.1f s), %.2f s while the victim ran alone (%.1f s)%n",
                cpuFlood,
                flood.elapsedS(),
                cpuAlone,
                alone.elapsedS());
        System.out.printf(
                Locale.ROOT,
                "victim p99 during flood / alone: %.2fx (target <= 1.5x); victim errors during flood: %d (target 0)%n",
                during.percentile(99) / alone.percentile(99),
                during.errorCount());
        System.out.printf(
                Locale.ROOT,
                "node CPU per rejected request: %.1f us (all node CPU over the flood / rejections; target <= 20 us);"
                        + " %.1f us net of the victim-alone CPU rate (still counts the %d admitted flood calls)%n",
                rejected == 0 ? Double.NaN : cpuFlood / rejected * 1e6,
                rejected == 0 ? Double.NaN : net / rejected * 1e6,
                flood.ok());
    }

    private JsonObject victimCommand(int s) {
        return rig.open(rig.nodeTarget(), victimModel, victimRate, s).put("key", VICTIM_KEY);
    }

    private JsonObject floodCommand(double rate, int s) {
        return rig.open(rig.nodeTarget(), floodModel, rate, s)
                .put("key", FLOODER_KEY)
                .put("keep", false);
    }

    private static String otherErrors(RunResult r) {
        var m = new java.util.TreeMap<>(r.errors());
        m.remove("RESOURCE_EXHAUSTED");
        return m.toString();
    }

    private void writeTenants() {
        JsonObject victim = new JsonObject()
                .put("id", "victim")
                .put("key_sha256", new JsonArray().add(TenantPolicy.sha256Hex(VICTIM_KEY)))
                .put("models", new JsonArray().add("*"))
                .put("rate", 0)
                .put("max_in_flight", 64)
                .put("max_queued", 256);
        JsonObject flooder = new JsonObject()
                .put("id", "flooder")
                .put("key_sha256", new JsonArray().add(TenantPolicy.sha256Hex(FLOODER_KEY)))
                .put("models", new JsonArray().add("*"))
                .put("rate", floodQuota)
                .put("burst", Math.max(1, floodQuota / 10))
                .put("max_in_flight", 64)
                .put("max_queued", 64);
        rig.put(
                "/api/v1/tenants",
                new JsonObject().put("tenants", new JsonArray().add(victim).add(flooder)));
    }

    /** Waits until the victim's key is accepted (the policy is applied from the mesh's listener). */
    private void awaitTenantsInForce(ChildProcess victim) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            RunResult r =
                    victim.run(rig.closed(rig.nodeTarget(), victimModel, 3, 1).put("key", VICTIM_KEY), 60_000);
            if (r.errorCount() == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the victim's key is still refused: " + r.errors());
            }
            Thread.sleep(200);
        }
    }

    /** CPU time (user + system) the process has used, in seconds, from {@code /proc/<pid>/stat}. */
    static double cpuSeconds(long pid) throws IOException {
        return ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))) / (double) clockTicks();
    }

    /** utime + stime, in clock ticks, of one {@code /proc/<pid>/stat} line (fields 14 and 15). */
    static long ticks(String stat) {
        // The command name (field 2) is in parentheses and may hold spaces; fields count from after it.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long clockTicks = -1;

    private static synchronized long clockTicks() {
        if (clockTicks < 0) {
            clockTicks = 100;
            try {
                Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
                String out = new String(p.getInputStream().readAllBytes()).trim();
                if (p.waitFor() == 0 && !out.isEmpty()) {
                    clockTicks = Long.parseLong(out);
                }
            } catch (Exception e) {
                // 100 is Linux's USER_HZ everywhere in practice.
            }
        }
        return clockTicks;
    }
}
