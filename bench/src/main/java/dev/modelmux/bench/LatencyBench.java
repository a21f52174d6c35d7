package dev.modelmux.bench;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bench/latency}: what a client in another process sees. The node runs as its own process,
 * next to a do-nothing server of the same gRPC stack answering the same bytes (the wire floor), and
 * the model runs in this JVM through ONNX Runtime configured as the node configures it (the compute
 * floor); the clients (Vert.x gRPC in its own JVM, grpc-js in Node.js) are processes of their own.
 * Phases:
 *
 * <ol>
 *   <li>latency: alternating rounds (per model and client: wire floor, modelmux; then in-process),
 *       pooled p50/p99 of each, what modelmux adds beyond the wire and the model, and the node's own
 *       compute time (its metric over the rounds) against in-process;
 *   <li>tail: p99/p50 of the node at an open-loop rate (default 15 req/s) and at saturation (closed
 *       loop, default 4 in flight);
 *   <li>with {@code --jfr}: bytes the node allocates per request ({@link AllocationPhase});
 *   <li>noisy neighbour ({@link NoisyPhase}), last: it leaves tenants configured on the node.
 * </ol>
 *
 * Flags: {@code --rounds 10 --requests 100 --warmup 200 --tail-rate 15 --tail-seconds 15
 * --sat-seconds 5 --sat-inflight 4 --tail-client java --phases latency,tail,noisy --jfr
 * --clients java,grpc-js (the Java client always runs) --intra-op-threads <cores> --infer-threads N --deadline-ms 10000 --pace-us 1000} (each
 * call's gRPC deadline; 0 sends none), and {@link NoisyPhase}'s.
 */
public final class LatencyBench {
    private LatencyBench() {}

    public static void main(String[] args) throws Exception {
        int rounds = BenchArgs.intArg(args, "--rounds", 10);
        int n = BenchArgs.intArg(args, "--requests", 100);
        int warmup = BenchArgs.intArg(args, "--warmup", 200);
        boolean jfr = List.of(args).contains("--jfr");
        List<String> phases = List.of(
                BenchArgs.stringArg(args, "--phases", "latency,tail,noisy").split(","));
        List<String> wantClients =
                List.of(BenchArgs.stringArg(args, "--clients", "java,grpc-js").split(","));
        int cores = Runtime.getRuntime().availableProcessors();
        int intraOp = BenchArgs.intArg(args, "--intra-op-threads", cores);
        String jsClient = BenchArgs.stringArg(args, "--js-client", null);
        if (!wantClients.contains("grpc-js") || "none".equals(jsClient)) {
            jsClient = null;
        }
        Path models = Path.of(BenchArgs.stringArg(args, "--models", "mesh-node/target/models"));
        Path work = Files.createTempDirectory("modelmux-latency");

        List<BenchModel> benchModels = List.of(
                BenchModel.minilm("minilm-q", Files.readAllBytes(models.resolve("all-minilm-l6-v2-q.onnx"))),
                BenchModel.tinyMlp("tiny-mlp"));
        List<String> nodeJvm = jfr ? AllocationPhase.nodeJvmFlags(work) : List.of();
        List<String> nodeArgs = new ArrayList<>();
        String infer = BenchArgs.stringArg(args, "--infer-threads", null);
        if (infer != null) {
            nodeArgs.addAll(List.of("--infer-threads", infer));
        }
        System.out.printf(
                Locale.ROOT,
                "modelmux latency bench: %d cores, load average %s, %s; work folder %s%n",
                cores,
                loadAverage(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                work);
        LatencyRig rig = LatencyRig.start(
                work,
                benchModels,
                BenchArgs.stringArg(args, "--node-classpath", null),
                BenchArgs.stringArg(args, "--bench-classpath", System.getProperty("java.class.path")),
                jsClient,
                nodeArgs,
                nodeJvm,
                intraOp);
        Runtime.getRuntime().addShutdownHook(new Thread(rig.node::destroyNow));
        rig.deadlineMs = BenchArgs.intArg(args, "--deadline-ms", 10_000);
        AllocationPhase alloc = jfr ? new AllocationPhase(rig) : null;
        try {
            System.out.printf(
                    Locale.ROOT,
                    "node pid %d (gRPC %s), wire floor %s, clients %s; answers: %s%n",
                    rig.node.pid(),
                    rig.nodeTarget(),
                    rig.wireTarget(),
                    rig.clients.keySet(),
                    describeAnswers(rig));
            long t = System.nanoTime();
            if (phases.contains("latency")) {
                latency(rig, rounds, n, warmup, BenchArgs.intArg(args, "--pace-us", 1000) * 1000L);
                t = took(t);
            }
            if (phases.contains("tail")) {
                tail(rig, args);
                t = took(t);
            }
            if (alloc != null) {
                alloc.measure(BenchArgs.intArg(args, "--alloc-seconds", 5), warmup);
                t = took(t);
            }
            if (phases.contains("noisy")) {
                // Last: from here on the node has tenants, and a call needs a key.
                new NoisyPhase(rig, args).run();
                took(t);
            }
        } finally {
            rig.close();
        }
        if (alloc != null) {
            alloc.report();
        }
        System.out.printf(Locale.ROOT, "%nload average at the end: %s%n", loadAverage());
        warnIfLoaded(cores);
    }

    /** Says so when other work outweighed the machine's cores: such a run's figures measure the machine. */
    private static void warnIfLoaded(int cores) {
        try {
            double oneMinute = Double.parseDouble(loadAverage().split(" ")[0]);
            if (oneMinute > 2.0 * cores) {
                System.out.printf(
                        Locale.ROOT,
                        "WARNING: load average %.1f on %d cores: other work held the CPUs for much of this run, so its"
                                + " latencies (tails above all) say more about the machine than about modelmux%n",
                        oneMinute,
                        cores);
            }
        } catch (NumberFormatException e) {
            // No load average to judge by.
        }
    }

    /** Prints the phase's duration and load average; returns now. */
    private static long took(long since) {
        long now = System.nanoTime();
        System.out.printf(
                Locale.ROOT, "(phase took %.0f s; load average now %s)%n", (now - since) / 1e9, loadAverage());
        return now;
    }

    private static String describeAnswers(LatencyRig rig) {
        List<String> out = new ArrayList<>();
        for (BenchModel m : rig.models) {
            out.add(m.name() + " " + rig.responseBytes(m.name()) + " B");
        }
        return String.join(", ", out);
    }

    /** Alternating rounds; prints the latency table and the compute ratio. */
    private static void latency(LatencyRig rig, int rounds, int n, int warmup, long paceNanos) throws Exception {
        System.out.printf(
                Locale.ROOT,
                "%n== latency: %d rounds x %d sequential calls per model, client and target (after %d warm-up calls)%n",
                rounds,
                n,
                warmup);
        for (BenchModel m : rig.models) {
            for (ChildProcess c : rig.clients.values()) {
                c.run(rig.closed(rig.wireTarget(), m.name(), warmup, 1), 600_000);
                c.run(rig.closed(rig.nodeTarget(), m.name(), warmup, 1), 600_000);
            }
            rig.inProcess.get(m.name()).measure(warmup);
        }
        Map<String, NodeHistogram> before = new LinkedHashMap<>();
        for (BenchModel m : rig.models) {
            before.put(m.name(), rig.computeMetric(m.name()));
        }
        Map<String, List<RunResult>> byRound = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (BenchModel m : rig.models) {
                for (var c : rig.clients.entrySet()) {
                    String k = m.name() + "|" + c.getKey();
                    add(byRound, k + "|wire", c.getValue().run(rig.closed(rig.wireTarget(), m.name(), n, 1), 600_000));
                    add(byRound, k + "|node", c.getValue().run(rig.closed(rig.nodeTarget(), m.name(), n, 1), 600_000));
                }
                InProcessCompute ip = rig.inProcess.get(m.name());
                add(byRound, m.name() + "|in-process", ip.measure(n));
                add(byRound, m.name() + "|in-process-paced", ip.measure(Math.max(1, n / 2), paceNanos));
            }
        }
        Map<String, RunResult> pooled = new LinkedHashMap<>();
        byRound.forEach(
                (k, v) -> pooled.put(k, v.stream().reduce(RunResult::plus).orElse(RunResult.EMPTY)));
        System.out.printf(
                Locale.ROOT,
                "%-9s %-8s | %17s | %17s | %17s | %9s %9s | %-29s | %s%n",
                "model",
                "client",
                "modelmux p50/p99",
                "wire p50/p99",
                "in-process p50/p99",
                "added p50",
                "added p99",
                "added p50 per round: median [min, max]",
                "errors");
        for (BenchModel m : rig.models) {
            RunResult ip = pooled.get(m.name() + "|in-process");
            for (String c : rig.clients.keySet()) {
                RunResult node = pooled.get(m.name() + "|" + c + "|node");
                RunResult wire = pooled.get(m.name() + "|" + c + "|wire");
                double[] perRound = addedP50ByRound(
                        byRound.get(m.name() + "|" + c + "|node"),
                        byRound.get(m.name() + "|" + c + "|wire"),
                        byRound.get(m.name() + "|in-process"));
                System.out.printf(
                        Locale.ROOT,
                        "%-9s %-8s | %7.0f / %7.0f | %7.0f / %7.0f | %7.0f / %7.0f | %+9.0f %+9.0f | %+7.0f [%+7.0f, %+7.0f] | %d%n",
                        m.name(),
                        c,
                        node.percentile(50),
                        node.percentile(99),
                        wire.percentile(50),
                        wire.percentile(99),
                        ip.percentile(50),
                        ip.percentile(99),
                        node.percentile(50) - wire.percentile(50) - ip.percentile(50),
                        node.percentile(99) - wire.percentile(99) - ip.percentile(99),
                        perRound[0],
                        perRound[1],
                        perRound[2],
                        node.errorCount() + wire.errorCount());
            }
        }
        System.out.println("(microseconds; added = modelmux - wire floor - in-process compute, at the same percentile;"
                + " targets: added p50 <= 300 us, added p99 <= 1000 us)");
        for (BenchModel m : rig.models) {
            NodeHistogram node = rig.computeMetric(m.name()).minus(before.get(m.name()));
            RunResult ip = pooled.get(m.name() + "|in-process");
            System.out.printf(
                    Locale.ROOT,
                    "compute inside the node, %-9s: mean %7.0f us over %.0f calls vs in-process %7.0f us: %.2fx;"
                            + " p50 %7.0f us (from its histogram's buckets) vs %7.0f us: %.2fx (target <= 1.1x)%n",
                    m.name(),
                    node.meanMicros(),
                    node.count(),
                    ip.mean(),
                    node.meanMicros() / ip.mean(),
                    node.percentileMicros(50),
                    ip.percentile(50),
                    node.percentileMicros(50) / ip.percentile(50));
            RunResult paced = pooled.get(m.name() + "|in-process-paced");
            System.out.printf(
                    Locale.ROOT,
                    "    in-process with %.1f ms idle before each call (as calls reach a node): p50 %7.0f us, mean %7.0f us:"
                            + " node p50 / that %.2fx%n",
                    paceNanos / 1e6,
                    paced.percentile(50),
                    paced.mean(),
                    node.percentileMicros(50) / paced.percentile(50));
        }
    }

    private static void add(Map<String, List<RunResult>> byRound, String key, RunResult r) {
        byRound.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
    }

    /** Added p50 of each round on its own: {median, min, max}, a check on the pooled figure's drift. */
    static double[] addedP50ByRound(List<RunResult> node, List<RunResult> wire, List<RunResult> inProcess) {
        double[] added = new double[node.size()];
        for (int i = 0; i < added.length; i++) {
            added[i] = node.get(i).percentile(50)
                    - wire.get(i).percentile(50)
                    - inProcess.get(i).percentile(50);
        }
        double[] sorted = added.clone();
        java.util.Arrays.sort(sorted);
        return new double[] {RunResult.percentile(added, 50), sorted[0], sorted[sorted.length - 1]};
    }

    /** p99/p50 of the node at an open-loop rate and at saturation, per model. */
    private static void tail(LatencyRig rig, String[] args) throws Exception {
        double rate = BenchArgs.intArg(args, "--tail-rate", 15);
        int seconds = BenchArgs.intArg(args, "--tail-seconds", 15);
        int satSeconds = BenchArgs.intArg(args, "--sat-seconds", 5);
        int satInFlight = BenchArgs.intArg(args, "--sat-inflight", 4);
        String clientName = BenchArgs.stringArg(args, "--tail-client", "java");
        ChildProcess client = rig.clients.get(clientName);
        System.out.printf(
                Locale.ROOT,
                "%n== tail (node alone, %s client): open loop %.0f req/s for %d s, latency from when each call was due;"
                        + " saturation: closed loop, %d in flight, %d s%n",
                clientName,
                rate,
                seconds,
                satInFlight,
                satSeconds);
        System.out.printf(
                Locale.ROOT,
                "%-9s %-22s %8s %8s %8s %8s %9s %7s%n",
                "model",
                "load",
                "p50 us",
                "p99 us",
                "max us",
                "p99/p50",
                "req/s",
                "errors");
        for (BenchModel m : rig.models) {
            String openName = String.format(Locale.ROOT, "open %.0f req/s", rate);
            Instant t0 = Instant.now();
            RunResult open = client.run(rig.open(rig.nodeTarget(), m.name(), rate, seconds), 600_000);
            Instant t1 = Instant.now();
            tailRow(m.name(), openName, open);
            RunResult sat = client.run(rig.closedFor(rig.nodeTarget(), m.name(), satSeconds, satInFlight), 600_000);
            String satName = "closed, " + satInFlight + " in flight";
            tailRow(m.name(), satName, sat);
            rig.mark("tail " + m.name() + " " + openName, t0, t1);
            rig.mark("tail " + m.name() + " " + satName, t1, Instant.now());
        }
        System.out.println("(target: p99/p50 <= 3 at both loads)");
    }

    private static void tailRow(String model, String load, RunResult r) {
        System.out.printf(
                Locale.ROOT,
                "%-9s %-22s %8.0f %8.0f %8.0f %8.2f %9.1f %7d%n",
                model,
                load,
                r.percentile(50),
                r.percentile(99),
                r.percentile(100),
                r.percentile(99) / r.percentile(50),
                r.throughput(),
                r.errorCount());
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "unknown";
        }
    }

    static JsonObject withKey(JsonObject cmd, String key) {
        return cmd.put("key", key);
    }
}
