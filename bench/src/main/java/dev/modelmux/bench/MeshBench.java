package dev.modelmux.bench;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The mesh benchmark, in one run: three {@code modelmux serve} processes on loopback sharing one
 * generated repository, then (1) the forwarding hop: one model on one node, the same request sent
 * to that holder and to the two non-holders, interleaved; (2) cold first responses of
 * never-loaded models against in-process session creation plus first run of the same file;
 * (3) failover: {@code kill -9} of the node holding the most models while its models are being
 * requested through the survivors; (1b, after the hop) hedged requests while one of two holders
 * pauses, see {@link HedgePhase}; (4) the placement simulator on Zipf(1.0) over 1,000 models
 * with a cache of 10% of their bytes. Ends with a table of results against the targets.
 *
 * <p>Usage: {@code bench/mesh [--hop-iterations N] [--minilm-iterations N] [--cold-runs N]
 * [--failover-models N] [--failover-bound-s S] [--hedge-iterations N] [--hedge-pause-ms MS]
 * [--hedge-period-ms MS]}.
 */
public final class MeshBench {
    static final String ADMIN_TOKEN = "bench-admin-token-0123456789";
    static final String CLUSTER_SECRET = "bench-cluster-secret-0123456789-Zr4wQ8tY";
    static final double TOLERANCE = 1e-4;
    static final double HOP_TARGET_MS = 0.3;
    static final double RECOVERY_TARGET_S = 5;
    static final double BELADY_TARGET = 0.90;

    private MeshBench() {}

    /** One line of the closing table. */
    record Row(String result, String measured, String target, String met) {}

    public static void main(String[] args) throws Exception {
        int hopIterations = BenchArgs.intArg(args, "--hop-iterations", 2000);
        int minilmIterations = BenchArgs.intArg(args, "--minilm-iterations", 300);
        int colds = BenchArgs.intArg(args, "--cold-runs", 5);
        int failoverModels = BenchArgs.intArg(args, "--failover-models", 6);
        int hedgeIterations = BenchArgs.intArg(args, "--hedge-iterations", 2000);
        int hedgePauseMs = BenchArgs.intArg(args, "--hedge-pause-ms", 50);
        int hedgePeriodMs = BenchArgs.intArg(args, "--hedge-period-ms", 500);
        double failoverBound = Double.parseDouble(BenchArgs.stringArg(args, "--failover-bound-s", "30"));
        String nodeClasspath =
                BenchArgs.stringArg(args, "--node-classpath", "mesh-node/target/mesh-node.jar:mesh-node/target/lib/*");
        Path modelsDir = Path.of(BenchArgs.stringArg(args, "--models", "mesh-node/target/models"));
        Path work = Files.createTempDirectory("modelmux-meshbench");
        long started = System.nanoTime();

        // The repository: small MLPs, and MiniLM-q copies when the build has unpacked the file.
        Path minilmFile = modelsDir.resolve("all-minilm-l6-v2-q.onnx");
        BenchModel minilm =
                Files.isRegularFile(minilmFile) ? BenchModel.minilm("minilm-q", Files.readAllBytes(minilmFile)) : null;
        BenchModel tiny = BenchModel.mlp("mlp-64k", 1, 64 << 10);
        BenchModel mid = BenchModel.mlp("mlp-8m", 7, 8 << 20);
        // One copy only, so requests to the other nodes are forwarded (else the mesh scales a model this
        // busy out to every node, which is what it should do, and there is no hop left to measure).
        List<BenchModel> hop = new ArrayList<>(List.of(tiny.named("hop-mlp-64k").withParameter("max_copies", "1")));
        List<BenchModel> coldBases = new ArrayList<>(List.of(mid));
        if (minilm != null) {
            hop.add(minilm.named("hop-minilm-q").withParameter("max_copies", "1"));
            coldBases.add(minilm);
        }
        Map<String, BenchModel> all = new LinkedHashMap<>();
        hop.forEach(m -> all.put(m.name(), m));
        // Two copies each, loaded on nodes 1 and 2 by the hedging phase (max_copies keeps node 0 out).
        BenchModel hedged = tiny.named("hedge-on").withParameter("max_copies", "2");
        BenchModel unhedged =
                tiny.named("hedge-off").withParameter("max_copies", "2").withParameter("hedging", "false");
        all.put(hedged.name(), hedged);
        all.put(unhedged.name(), unhedged);
        for (BenchModel base : coldBases) {
            for (int i = 0; i < colds; i++) {
                all.put("cold-" + base.name() + "-" + i, base.named("cold-" + base.name() + "-" + i));
            }
        }
        for (int k = 0; k < 3; k++) {
            all.put("warm-node-" + k, mid.named("warm-node-" + k));
        }
        List<BenchModel> failover = new ArrayList<>();
        for (int i = 0; i < failoverModels; i++) {
            failover.add(BenchModel.mlp("fo-mlp-8m-" + i, 100 + i, 8 << 20));
        }
        if (minilm != null) {
            failover.add(minilm.named("fo-minilm-q"));
        }
        failover.forEach(m -> all.put(m.name(), m));
        Path repo = work.resolve("repo");
        for (BenchModel m : all.values()) {
            m.writeTo(repo);
        }

        // References: in-process ONNX Runtime on the same files (copies share their base's answer).
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, Map<String, float[]>> reference = new LinkedHashMap<>();
        Map<byte[], Map<String, float[]>> byFile = new IdentityHashMap<>();
        for (BenchModel m : all.values()) {
            reference.put(m.name(), byFile.computeIfAbsent(m.onnx(), b -> m.createAndRun(env)));
        }

        List<NodeProcess> nodes = new CopyOnWriteArrayList<>();
        // Stopped early (SIGTERM, Ctrl-C, an exception): kill the nodes, drop the repository's copies, keep the logs.
        Thread reaper = new Thread(
                () -> {
                    nodes.forEach(NodeProcess::destroyNow);
                    deleteQuietly(repo);
                },
                "bench-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
        MeshClient client = new MeshClient();
        List<Row> summary = new ArrayList<>();
        System.out.printf(
                Locale.ROOT,
                "modelmux mesh bench: 3 node processes on loopback, %d cores, %s; repository of %d models in %s%n",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                all.size(),
                repo);
        try {
            LocalMesh.start(nodes, nodeClasspath, repo, work);
            System.out.printf(
                    Locale.ROOT,
                    "mesh formed in %.1f s (node logs in %s)%n%n",
                    (System.nanoTime() - started) / 1e9,
                    work);
            hop(client, nodes, hop, reference, hopIterations, minilmIterations, summary);
            HedgePhase.run(
                    client, nodes, hedged, unhedged, reference, hedgeIterations, hedgePauseMs, hedgePeriodMs, summary);
            cold(client, nodes, env, all, coldBases, colds, reference, summary);
            failover(client, nodes, all, reference, failoverBound, summary);
        } finally {
            client.close();
            nodes.parallelStream().forEach(NodeProcess::close);
        }
        SimulatorReport.run(summary);

        System.out.printf(Locale.ROOT, "%nsummary (whole run %.0f s)%n", (System.nanoTime() - started) / 1e9);
        System.out.printf(Locale.ROOT, "%-46s %-36s %-14s %s%n", "result", "measured", "target", "met");
        for (Row r : summary) {
            System.out.printf(Locale.ROOT, "%-46s %-36s %-14s %s%n", r.result(), r.measured(), r.target(), r.met());
        }
        deleteTree(work);
        Runtime.getRuntime().removeShutdownHook(reaper);
    }

    private static void hop(
            MeshClient client,
            List<NodeProcess> nodes,
            List<BenchModel> models,
            Map<String, Map<String, float[]>> reference,
            int iterations,
            int minilmIterations,
            List<Row> summary) {
        NodeProcess holder = nodes.get(0);
        List<NodeProcess> others = nodes.subList(1, 3);
        System.out.printf(
                Locale.ROOT,
                "1. forwarding hop: the model is loaded on %s only; the same request to the holder and to each"
                        + " non-holder, interleaved%n",
                holder.id);
        System.out.printf(Locale.ROOT, "%-14s %-26s %9s %9s%n", "model", "sent to", "p50 us", "p99 us");
        // The floor of one hop: a gRPC round trip on loopback that touches no model (ServerLive).
        Histogram rtt = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
        for (int i = 0; i < 2 * iterations; i++) {
            NodeProcess p = nodes.get(i % 3);
            long t = System.nanoTime();
            client.live(p.grpcPort());
            if (i >= iterations) {
                rtt.recordValue(System.nanoTime() - t);
            }
        }
        row("(none)", "ServerLive, any node", rtt);
        for (BenchModel m : models) {
            var req = m.request();
            client.ok(holder.grpcPort(), req); // first request at the holder: it has room, so it loads here
            int n = m.name().contains("minilm") ? minilmIterations : iterations;
            for (int i = 0; i < Math.min(300, n); i++) {
                for (NodeProcess p : nodes) {
                    client.ok(p.grpcPort(), req);
                }
            }
            double forwardedBefore = others.stream()
                    .mapToDouble(p -> client.requests(p.httpPort(), m.name(), "forwarded"))
                    .sum();
            Histogram[] h = new Histogram[3];
            for (int k = 0; k < 3; k++) {
                h[k] = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            }
            double worst = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < 3; j++) {
                    int k = (i + j) % 3; // rotate the order so no path always follows another
                    long t = System.nanoTime();
                    var resp = client.ok(nodes.get(k).grpcPort(), req);
                    h[k].recordValue(System.nanoTime() - t);
                    if (i % 50 == 0) {
                        worst = Math.max(
                                worst, BenchModel.maxRelativeError(reference.get(m.name()), BenchModel.outputs(resp)));
                    }
                }
            }
            double forwarded = others.stream()
                            .mapToDouble(p -> client.requests(p.httpPort(), m.name(), "forwarded"))
                            .sum()
                    - forwardedBefore;
            boolean onlyHolder = client.readyModels(holder.httpPort()).contains(m.name())
                    && others.stream()
                            .noneMatch(p -> client.readyModels(p.httpPort()).contains(m.name()));
            Histogram via = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);
            via.add(h[1]);
            via.add(h[2]);
            row(m.name(), "holder " + holder.id, h[0]);
            row(m.name(), "non-holder " + others.get(0).id + " (forwards)", h[1]);
            row(m.name(), "non-holder " + others.get(1).id + " (forwards)", h[2]);
            double added = us(via, 50) - us(h[0], 50);
            System.out.printf(
                    Locale.ROOT,
                    "%-14s added by the hop: p50 %+.0f us (%.2fx; %.1f ServerLive round trips), p99 %+.0f us (%.2fx);"
                            + " forwarded %.0f of %d; copy only on the holder: %s; max error vs in-process %.1e%n",
                    m.name(),
                    added,
                    us(via, 50) / us(h[0], 50),
                    added / us(rtt, 50),
                    us(via, 99) - us(h[0], 99),
                    us(via, 99) / us(h[0], 99),
                    forwarded,
                    2 * n,
                    onlyHolder ? "yes" : "NO (hop not measured)",
                    worst);
            boolean measured = onlyHolder && forwarded >= 2 * n;
            summary.add(new Row(
                    "forward hop, added p50 (" + m.name() + ")",
                    String.format(Locale.ROOT, "%+.3f ms (%.0f -> %.0f us)", added / 1000, us(h[0], 50), us(via, 50)),
                    "<= " + HOP_TARGET_MS + " ms",
                    !measured ? "NOT MEASURED" : added / 1000 <= HOP_TARGET_MS ? "yes" : "no"));
        }
        System.out.println();
    }

    private static void cold(
            MeshClient client,
            List<NodeProcess> nodes,
            OrtEnvironment env,
            Map<String, BenchModel> all,
            List<BenchModel> bases,
            int colds,
            Map<String, Map<String, float[]>> reference,
            List<Row> summary) {
        System.out.printf(
                Locale.ROOT,
                "2. cold first response (median of %d): a never-loaded model's first request, sent to node i mod 3,"
                        + " vs in-process create session + first run of the same file%n",
                colds);
        // Each node loads one unrelated model first, so the measurement is a cold model, not a cold JVM.
        for (int k = 0; k < 3; k++) {
            client.ok(nodes.get(k).grpcPort(), all.get("warm-node-" + k).request());
        }
        for (BenchModel base : bases) {
            double[] direct = new double[colds];
            double[] mesh = new double[colds];
            double worst = 0;
            for (int i = 0; i < colds; i++) {
                long t0 = System.nanoTime();
                base.createAndRun(env);
                direct[i] = (System.nanoTime() - t0) / 1e6;
                BenchModel m = all.get("cold-" + base.name() + "-" + i);
                long t1 = System.nanoTime();
                var resp = client.ok(nodes.get(i % 3).grpcPort(), m.request());
                mesh[i] = (System.nanoTime() - t1) / 1e6;
                worst = Math.max(worst, BenchModel.maxRelativeError(reference.get(m.name()), BenchModel.outputs(resp)));
            }
            double md = median(direct);
            double mm = median(mesh);
            System.out.printf(
                    Locale.ROOT,
                    "%-14s in-process %7.1f ms   3-node mesh %7.1f ms   ratio %.2fx (+%.1f ms)   mesh runs %s ms;"
                            + " max error %.1e%n",
                    base.name(),
                    md,
                    mm,
                    mm / md,
                    mm - md,
                    Arrays.toString(round(mesh)),
                    worst);
            summary.add(new Row(
                    "cold first response, median (" + base.name() + ")",
                    String.format(Locale.ROOT, "%.0f ms vs %.0f ms in-process (%.2fx)", mm, md, mm / md),
                    "(reported)",
                    "-"));
        }
        System.out.println();
    }

    private static void failover(
            MeshClient client,
            List<NodeProcess> nodes,
            Map<String, BenchModel> all,
            Map<String, Map<String, float[]>> reference,
            double bound,
            List<Row> summary)
            throws InterruptedException {
        NodeProcess loader = nodes.get(1);
        List<BenchModel> fo =
                all.values().stream().filter(m -> m.name().startsWith("fo-")).toList();
        for (BenchModel m : fo) {
            client.ok(loader.grpcPort(), m.request()); // first request there: loads there
        }
        int clusterApi = client.status(nodes.get(0).httpPort(), "/api/v1/cluster", ADMIN_TOKEN);
        // Which node holds what: each node's own repository index (READY on its devices).
        Map<NodeProcess, List<String>> held = new LinkedHashMap<>();
        for (NodeProcess n : nodes) {
            held.put(n, client.readyModels(n.httpPort()));
        }
        NodeProcess victim = held.entrySet().stream()
                .max(Comparator.comparingInt(e -> e.getValue().size()))
                .orElseThrow()
                .getKey();
        List<NodeProcess> survivors = nodes.stream().filter(n -> n != victim).toList();
        Map<String, BenchModel> followed = new LinkedHashMap<>();
        for (String name : held.get(victim)) {
            if (survivors.stream().noneMatch(s -> held.get(s).contains(name)) && all.containsKey(name)) {
                followed.put(name, all.get(name));
            }
        }
        System.out.printf(
                Locale.ROOT,
                "3. failover: GET /api/v1/cluster answered %d; holders from each node's POST /v2/repository/index:"
                        + " %s%n",
                clusterApi,
                describe(held));
        System.out.printf(
                Locale.ROOT,
                "   kill -9 %s while its %d models are requested through %s (each in a loop, %d ms apart,"
                        + " %d s deadline)%n",
                victim.id,
                followed.size(),
                survivors.stream().map(n -> n.id).toList(),
                Failover.PAUSE_MS,
                Failover.REQUEST_TIMEOUT_MS / 1000);
        Failover.Result r = new Failover(client, reference, TOLERANCE).run(victim, survivors, followed, bound);
        List<Double> secs = new ArrayList<>(r.recoverySeconds().values());
        secs.sort(null);
        int lost = followed.size() - secs.size();
        double max = lost > 0 ? Double.POSITIVE_INFINITY : secs.isEmpty() ? Double.NaN : secs.get(secs.size() - 1);
        double med = secs.isEmpty() ? Double.NaN : secs.get(secs.size() / 2);
        r.recoverySeconds()
                .forEach((k, v) -> System.out.printf(Locale.ROOT, "   %-22s answered again after %5.2f s%n", k, v));
        followed.keySet().stream()
                .filter(k -> !r.recoverySeconds().containsKey(k))
                .forEach(k -> System.out.printf(Locale.ROOT, "   %-22s NOT answered within %.0f s%n", k, bound));
        Map<NodeProcess, List<String>> after = new LinkedHashMap<>();
        for (NodeProcess n : survivors) {
            after.put(
                    n,
                    client.readyModels(n.httpPort()).stream()
                            .filter(followed::containsKey)
                            .toList());
        }
        System.out.printf(
                Locale.ROOT,
                "   survivors saw 2 members %.2f s after the kill; its models now on: %s%n",
                r.membershipSeconds(),
                describe(after));
        System.out.printf(
                Locale.ROOT,
                "   %d answers, %d wrong (max error vs in-process %.1e); failed calls: %s%n",
                r.answers(),
                r.wrong(),
                r.worstError(),
                r.failures().isEmpty() ? "none" : r.failures());
        System.out.printf(Locale.ROOT, "   recovery: max %.2f s, median %.2f s%n%n", max, med);
        summary.add(new Row(
                "failover after kill -9, recovery max / median",
                String.format(Locale.ROOT, "%.2f s / %.2f s (%d models)", max, med, followed.size()),
                "<= " + (int) RECOVERY_TARGET_S + " s",
                followed.isEmpty() ? "NOT MEASURED" : max <= RECOVERY_TARGET_S ? "yes" : "no"));
        summary.add(new Row(
                "failover, wrong answers",
                String.format(Locale.ROOT, "%d of %d", r.wrong(), r.answers()),
                "0",
                r.wrong() == 0 ? "yes" : "no"));
    }

    private static String describe(Map<NodeProcess, List<String>> held) {
        StringBuilder b = new StringBuilder();
        held.forEach((n, models) -> b.append(b.length() == 0 ? "" : "; ")
                .append(n.id)
                .append(' ')
                .append(models.size())
                .append(' ')
                .append(models.stream().sorted().toList()));
        return b.toString();
    }

    private static void row(String model, String path, Histogram h) {
        System.out.printf(Locale.ROOT, "%-14s %-26s %9.0f %9.0f%n", model, path, us(h, 50), us(h, 99));
    }

    private static double us(Histogram h, double percentile) {
        return h.getValueAtPercentile(percentile) / 1000.0;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static long[] round(double[] v) {
        return Arrays.stream(v).mapToLong(Math::round).toArray();
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static void deleteQuietly(Path root) {
        try {
            if (Files.exists(root)) {
                deleteTree(root);
            }
        } catch (IOException | RuntimeException e) {
            // Best effort while the JVM is stopping.
        }
    }
}
