package dev.modelmux.bench;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * The chaos run: three nodes (each in its own network namespace when run as root, else on
 * loopback), a client sending checked traffic throughout (see {@link ChaosTraffic}), and faults
 * one after another, each followed by a check that the mesh converged: every node's placement view
 * equals what the nodes really hold, and the tenants and endpoints documents are at the same,
 * latest version everywhere. Prints one table row per fault.
 *
 * <p>Usage: {@code bench/chaos [--short] [--faults kill9,sigstop,partition,slowlink,diskfull,rolling]
 * [--workers N] [--fault-seconds S]}.
 */
public final class ChaosBench {
    static final String ENDPOINT = "chaos-ep";
    static final double TOLERANCE = 1e-3;
    static final long DEADLINE_MS = 5_000;
    static final long SLOW_MS = 1_000;
    static final List<String> ALL_FAULTS = List.of("kill9", "sigstop", "partition", "slowlink", "diskfull", "rolling");
    static final List<String> SHORT_FAULTS = List.of("kill9", "sigstop", "partition");
    private static final String[] TENANTS = {"alpha", "beta"};
    private static final int VARIANTS = 4;

    /** How to run: which faults, how long each lasts, how much traffic, where the nodes' classes are. */
    record Options(
            String nodeClasspath,
            Path work,
            List<String> faults,
            int models,
            int workers,
            long pauseMs,
            int faultSeconds,
            int stopSeconds,
            long convergeTimeoutMs,
            boolean forceLoopback) {}

    /** One fault's line of the report. */
    record Row(
            String fault,
            String what,
            long sent,
            long correct,
            long retriable,
            long wrong,
            long lost,
            long retried,
            double degradedS,
            double afterHealS,
            double p99Ms,
            String converged,
            boolean convergedOk,
            Map<String, Long> firstAttempts) {}

    /** The whole run. */
    record Report(String network, List<Row> rows, long crashReports, String table) {
        boolean allCorrect() {
            return rows.stream().allMatch(r -> r.wrong() == 0 && r.lost() == 0);
        }

        boolean allConverged() {
            return rows.stream().allMatch(Row::convergedOk);
        }
    }

    private ChaosBench() {}

    public static void main(String[] args) throws Exception {
        boolean shortRun = List.of(args).contains("--short");
        List<String> faults =
                List.of(BenchArgs.stringArg(args, "--faults", String.join(",", shortRun ? SHORT_FAULTS : ALL_FAULTS))
                        .split(","));
        Options o = new Options(
                BenchArgs.stringArg(args, "--node-classpath", "mesh-node/target/mesh-node.jar:mesh-node/target/lib/*"),
                Files.createTempDirectory("modelmux-chaos"),
                faults,
                BenchArgs.intArg(args, "--models", 50),
                BenchArgs.intArg(args, "--workers", 6),
                BenchArgs.intArg(args, "--pause-ms", 10),
                BenchArgs.intArg(args, "--fault-seconds", shortRun ? 10 : 30),
                BenchArgs.intArg(args, "--stop-seconds", shortRun ? 5 : 15),
                180_000,
                List.of(args).contains("--loopback"));
        Report r = run(o, System.out::println);
        System.out.println(r.table());
        System.out.println(
                r.allCorrect() && r.allConverged() && r.crashReports() == 0
                        ? "chaos: every answer correct, none lost, converged after every fault"
                        : "chaos: FAILED (see the table)");
        System.exit(r.allCorrect() && r.allConverged() ? 0 : 1);
    }

    /** Runs the scenario; {@code log} gets progress lines. Cleans up namespaces and processes before returning. */
    static Report run(Options o, java.util.function.Consumer<String> log) throws Exception {
        String why = o.forceLoopback() ? "loopback asked for" : ChaosNet.whyNoNamespaces();
        List<String> faults = new ArrayList<>(o.faults());
        List<Row> rows = new ArrayList<>();
        String network;
        if (why != null) {
            network = "loopback (" + why + "): network faults and the tmpfs data dir skipped";
            for (String f : List.of("partition", "slowlink", "diskfull")) {
                if (faults.remove(f)) {
                    rows.add(skipped(f, "skipped: " + why));
                }
            }
        } else {
            network = "three network namespaces, mesh and client bridges";
        }
        log.accept("chaos: " + network + "; faults " + faults + "; work " + o.work());
        Path repo = o.work().resolve("repo");
        Map<String, List<BenchModel>> variants = writeRepo(repo, o.models());
        Map<String, Map<String, Map<String, float[]>>> reference = reference(variants);
        List<String> keys = writePolicies(o.work());
        try (ChaosNet net = why == null ? ChaosNet.namespaces() : ChaosNet.loopback()) {
            ChaosMesh mesh = new ChaosMesh(
                    net,
                    o.nodeClasspath(),
                    repo,
                    o.work(),
                    List.of(
                            "--tenants",
                            o.work().resolve("tenants.yaml").toString(),
                            "--endpoints",
                            o.work().resolve("endpoints.yaml").toString()));
            if (net.isolated()) {
                net.mountTmpfs(mesh.dataDir(2), 16);
            }
            try (mesh) {
                long t = System.nanoTime();
                mesh.startAll();
                log.accept(
                        String.format(Locale.ROOT, "chaos: three nodes up in %.1f s", (System.nanoTime() - t) / 1e9));
                Scenario s = new Scenario(o, net, mesh, log);
                try (ChaosTraffic traffic = new ChaosTraffic(3, mesh::grpc, TOLERANCE)) {
                    s.traffic = traffic;
                    Zipf zipf = new Zipf(variants.size(), 1.0);
                    List<String> names = new ArrayList<>(variants.keySet());
                    traffic.start(
                            o.workers(),
                            rnd -> call(rnd, zipf, names, variants, reference, keys),
                            DEADLINE_MS,
                            o.pauseMs());
                    Thread.sleep(15_000); // first loads spread over the nodes
                    s.baseline();
                    for (String f : faults) {
                        rows.add(s.fault(f));
                    }
                    traffic.stop();
                    rows.add(
                            0,
                            s.summarize(
                                    "warm-up", "no fault", s.warmStart, s.warmEnd, s.warmEnd, s.warmEnd, "-", true));
                }
                long crashes = mesh.crashReports();
                String table = table(network, rows, crashes);
                return new Report(network, rows, crashes, table);
            }
        }
    }

    private static Row skipped(String fault, String why) {
        return new Row(fault, why, 0, 0, 0, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN, "-", true, Map.of());
    }

    /** The fault steps and the bookkeeping around them. */
    private static final class Scenario {
        private final Options o;
        private final ChaosNet net;
        private final ChaosMesh mesh;
        private final java.util.function.Consumer<String> log;
        ChaosTraffic traffic;
        long warmStart = System.nanoTime();
        long warmEnd;
        long tenantVersion;
        long endpointVersion;
        int writes;
        String writeNote = "";

        Scenario(Options o, ChaosNet net, ChaosMesh mesh, java.util.function.Consumer<String> log) {
            this.o = o;
            this.net = net;
            this.mesh = mesh;
            this.log = log;
        }

        void baseline() {
            warmEnd = System.nanoTime();
            tenantVersion = mesh.policyVersion(0, "/api/v1/tenants");
            endpointVersion = mesh.policyVersion(0, "/api/v1/endpoints");
        }

        Row fault(String f) throws Exception {
            long start = System.nanoTime();
            writeNote = "";
            Thread writer = null;
            long t0;
            long t1;
            String what;
            switch (f) {
                case "kill9" -> {
                    int[] holder = mostHolding();
                    int v = holder[0];
                    what = "kill -9 node-" + v + " (holding " + holder[1] + " of the models), restart after "
                            + o.stopSeconds() + " s";
                    log.accept("chaos: " + what);
                    t0 = System.nanoTime();
                    mesh.kill(v);
                    sleepS(o.stopSeconds() / 2.0);
                    writer = writeAsync((v + 1) % 3);
                    sleepS(o.stopSeconds() / 2.0);
                    t1 = System.nanoTime();
                    mesh.start(v);
                    mesh.awaitServing(v, 300_000);
                }
                case "sigstop" -> {
                    int v = 1;
                    what = "SIGSTOP node-1 " + o.stopSeconds() + " s, then SIGCONT";
                    log.accept("chaos: " + what);
                    t0 = System.nanoTime();
                    mesh.freeze(v, true);
                    sleepS(o.stopSeconds() / 2.0);
                    writer = writeAsync(0);
                    sleepS(o.stopSeconds() / 2.0);
                    t1 = System.nanoTime();
                    mesh.freeze(v, false);
                }
                case "partition" -> {
                    int v = 2;
                    what = "node-2's mesh link down " + o.faultSeconds() + " s (packets dropped, no reset)";
                    log.accept("chaos: " + what);
                    t0 = System.nanoTime();
                    net.partition(v);
                    sleepS(o.faultSeconds() / 2.0);
                    writer = writeAsync(0);
                    sleepS(o.faultSeconds() / 2.0);
                    t1 = System.nanoTime();
                    net.heal(v);
                }
                case "slowlink" -> {
                    int v = 1;
                    t0 = System.nanoTime();
                    String applied;
                    try {
                        applied = net.slowLink(v, 200, 5);
                    } catch (IOException e) {
                        return skipped(f, "skipped: " + e.getMessage());
                    }
                    what = "node-1: " + applied + ", " + o.faultSeconds() + " s";
                    log.accept("chaos: " + what);
                    sleepS(o.faultSeconds());
                    t1 = System.nanoTime();
                    net.clearSlowLink(v);
                }
                case "diskfull" -> {
                    int v = 2;
                    what = "node-2's data dir (16 MiB tmpfs) full " + o.faultSeconds() + " s";
                    log.accept("chaos: " + what);
                    Path filler = mesh.dataDir(v).resolve("filler");
                    t0 = System.nanoTime();
                    fill(filler);
                    sleepS(o.faultSeconds());
                    t1 = System.nanoTime();
                    Files.deleteIfExists(filler);
                }
                case "rolling" -> {
                    what = "rolling restart: SIGTERM, wait for exit, start, next";
                    log.accept("chaos: " + what);
                    t0 = System.nanoTime();
                    StringBuilder exits = new StringBuilder();
                    for (int i = 0; i < 3; i++) {
                        int code = mesh.stop(i);
                        exits.append(i == 0 ? " (exit " : ", ").append(code);
                        mesh.start(i);
                        mesh.awaitServing(i, 300_000);
                        mesh.node(i).awaitMembers(3, 300_000);
                    }
                    what += exits.append(")");
                    t1 = System.nanoTime();
                }
                default -> throw new IllegalArgumentException("unknown fault '" + f + "'; known: " + ALL_FAULTS);
            }
            if (writer != null) {
                writer.join();
            }
            String converged;
            boolean ok;
            try {
                double s = converge();
                converged = String.format(Locale.ROOT, "yes, %.1f s", s);
                ok = true;
            } catch (IllegalStateException e) {
                converged = "NO: " + e.getMessage();
                ok = false;
            }
            log.accept("chaos: " + f + " healed; converged: " + converged);
            sleepS(3);
            return summarize(f, what + writeNote, start, t0, t1, System.nanoTime(), converged, ok);
        }

        /** {@link #writeDocuments} on its own thread, so that a slow write does not stretch the fault. */
        Thread writeAsync(int via) {
            Thread t = new Thread(() -> writeDocuments(via), "chaos-writer");
            t.setDaemon(true);
            t.start();
            return t;
        }

        /** Writes a new tenants and endpoints version through node {@code via}, during a fault. */
        void writeDocuments(int via) {
            writes++;
            long t = System.nanoTime();
            try {
                tenantVersion = mesh.put(
                        via,
                        "/api/v1/tenants/beta",
                        "{\"key_sha256\": [\"" + sha256(key("beta")) + "\"], \"weight\": " + (1 + writes % 3) + "}");
                int w = writes % 2 == 0 ? 80 : 70;
                endpointVersion = mesh.put(via, "/api/v1/endpoints/" + ENDPOINT, endpointJson(w));
                writeNote = String.format(
                        Locale.ROOT,
                        "; during it, tenants v%d and endpoints v%d written via node-%d in %.1f s",
                        tenantVersion,
                        endpointVersion,
                        via,
                        (System.nanoTime() - t) / 1e9);
                log.accept("chaos: " + writeNote.substring(2));
            } catch (IllegalStateException e) {
                writeNote = String.format(
                        Locale.ROOT,
                        "; during it, a document write via node-%d failed after %.1f s: %s",
                        via,
                        (System.nanoTime() - t) / 1e9,
                        e.getMessage());
                log.accept("chaos: " + writeNote.substring(2));
            }
        }

        /**
         * Waits until every node sees three members, every node's READY copies in its placement view
         * equal what the nodes hold, and every node is at the latest tenants and endpoints versions.
         */
        double converge() throws InterruptedException {
            long start = System.nanoTime();
            long until = start + TimeUnit.MILLISECONDS.toNanos(o.convergeTimeoutMs());
            String last = "";
            while (System.nanoTime() < until) {
                try {
                    last = differences();
                    if (last.isEmpty()) {
                        return (System.nanoTime() - start) / 1e9;
                    }
                } catch (IllegalStateException e) {
                    last = e.getMessage();
                }
                Thread.sleep(500);
            }
            throw new IllegalStateException(last);
        }

        private String differences() {
            for (int i = 0; i < 3; i++) {
                if (mesh.node(i).members() != 3) {
                    return "node-" + i + " sees " + mesh.node(i).members() + " members";
                }
            }
            Set<String> truth = new TreeSet<>();
            for (int i = 0; i < 3; i++) {
                truth.addAll(mesh.held(i));
            }
            for (int i = 0; i < 3; i++) {
                Set<String> view = mesh.placementView(i);
                if (!view.equals(truth)) {
                    Set<String> extra = new TreeSet<>(view);
                    extra.removeAll(truth);
                    Set<String> missing = new TreeSet<>(truth);
                    missing.removeAll(view);
                    return "node-" + i + "'s placement view: extra " + extra + ", missing " + missing;
                }
                long tv = mesh.policyVersion(i, "/api/v1/tenants");
                long ev = mesh.policyVersion(i, "/api/v1/endpoints");
                if (tv < tenantVersion || ev < endpointVersion) {
                    return "node-" + i + " at tenants v" + tv + " (latest v" + tenantVersion + "), endpoints v" + ev
                            + " (latest v" + endpointVersion + ")";
                }
            }
            Set<String> again = new TreeSet<>();
            for (int i = 0; i < 3; i++) {
                again.addAll(mesh.held(i));
            }
            return again.equals(truth) ? "" : "copies moved while checking";
        }

        Row summarize(String fault, String what, long start, long t0, long t1, long end, String converged, boolean ok) {
            long sent = 0, correct = 0, retriable = 0, wrong = 0, lost = 0, retried = 0;
            long lastDegradedDuring = -1, lastDegradedAfter = -1;
            List<Double> latencies = new ArrayList<>();
            Map<String, Long> first = new TreeMap<>();
            for (ChaosTraffic.Result r : traffic.results()) {
                if (r.sentNanos() < start || r.sentNanos() >= end) {
                    continue;
                }
                sent++;
                latencies.add(r.latencyMs());
                switch (r.outcome()) {
                    case CORRECT -> correct++;
                    case RETRIABLE -> retriable++;
                    case WRONG -> wrong++;
                    case LOST -> lost++;
                }
                if (r.retried()) {
                    retried++;
                }
                if (!"OK".equals(r.firstStatus())) {
                    first.merge(
                            r.firstStatus() + (r.outcome() == ChaosTraffic.Outcome.CORRECT ? "->ok" : ""),
                            1L,
                            Long::sum);
                }
                boolean degraded = r.outcome() != ChaosTraffic.Outcome.CORRECT || r.latencyMs() > SLOW_MS;
                if (degraded && r.doneNanos() >= t0) {
                    if (r.sentNanos() < t1) {
                        lastDegradedDuring = Math.max(lastDegradedDuring, r.doneNanos());
                    } else {
                        lastDegradedAfter = Math.max(lastDegradedAfter, r.doneNanos());
                    }
                }
            }
            latencies.sort(Double::compare);
            double p99 = latencies.isEmpty()
                    ? Double.NaN
                    : latencies.get((int) Math.min(latencies.size() - 1, Math.ceil(latencies.size() * 0.99) - 1));
            return new Row(
                    fault,
                    what,
                    sent,
                    correct,
                    retriable,
                    wrong,
                    lost,
                    retried,
                    lastDegradedDuring < 0 ? 0 : (lastDegradedDuring - t0) / 1e9,
                    lastDegradedAfter < 0 ? 0 : (lastDegradedAfter - t1) / 1e9,
                    p99,
                    converged,
                    ok,
                    first);
        }

        /** The node that holds most models, and how many. */
        private int[] mostHolding() {
            int best = 0;
            int most = -1;
            for (int i = 0; i < 3; i++) {
                int n;
                try {
                    n = mesh.held(i).size();
                } catch (IllegalStateException e) {
                    n = 0; // no answer now: not the one to kill
                }
                if (n > most) {
                    most = n;
                    best = i;
                }
            }
            return new int[] {best, most};
        }
    }

    static String table(String network, List<Row> rows, long crashes) {
        StringBuilder b = new StringBuilder();
        b.append("\nchaos report (")
                .append(network)
                .append("); deadline ")
                .append(DEADLINE_MS)
                .append(" ms per call; 'degraded' = not answered correctly within ")
                .append(SLOW_MS)
                .append(" ms\n");
        b.append(String.format(
                Locale.ROOT,
                "| %-9s | %6s | %7s | %9s | %5s | %4s | %7s | %-22s | %-16s | %7s | %-14s |%n",
                "fault",
                "sent",
                "correct",
                "retriable",
                "wrong",
                "lost",
                "retried",
                "full service after fault",
                "after heal",
                "p99 ms",
                "converged"));
        b.append(
                "|-----------|--------|---------|-----------|-------|------|---------|------------------------|------------------|---------|----------------|\n");
        for (Row r : rows) {
            b.append(String.format(
                    Locale.ROOT,
                    "| %-9s | %6d | %7d | %9d | %5d | %4d | %7d | %-22s | %-16s | %7s | %-14s |%n",
                    r.fault(),
                    r.sent(),
                    r.correct(),
                    r.retriable(),
                    r.wrong(),
                    r.lost(),
                    r.retried(),
                    Double.isNaN(r.degradedS()) ? "-" : String.format(Locale.ROOT, "%.1f s", r.degradedS()),
                    Double.isNaN(r.afterHealS()) ? "-" : String.format(Locale.ROOT, "%.1f s", r.afterHealS()),
                    Double.isNaN(r.p99Ms()) ? "-" : String.format(Locale.ROOT, "%.0f", r.p99Ms()),
                    r.converged().length() > 14 && r.convergedOk()
                            ? r.converged().substring(0, 14)
                            : r.converged()));
        }
        b.append("\n");
        for (Row r : rows) {
            b.append("  ").append(r.fault()).append(": ").append(r.what());
            if (!r.firstAttempts().isEmpty()) {
                b.append("; first attempts not OK: ").append(r.firstAttempts());
            }
            b.append('\n');
        }
        b.append("  JVM crash reports (hs_err): ").append(crashes).append('\n');
        return b.toString();
    }

    /**
     * 50 (or {@code n}) small MLPs with the same {@link #VARIANTS} inputs (so that an answer from the
     * endpoint can be checked against whichever target gave it); the endpoint's targets are m00 and m01.
     */
    static Map<String, List<BenchModel>> writeRepo(Path repo, int n) throws IOException {
        Map<String, List<BenchModel>> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String name = String.format(Locale.ROOT, "m%02d", i);
            BenchModel m =
                    BenchModel.mlp(name, 100 + i, (64L << 10) * (1 + i % 8)).withParameter("dataset", "chaos");
            m.writeTo(repo);
            List<BenchModel> vs = new ArrayList<>();
            for (int v = 0; v < VARIANTS; v++) {
                float[] x = new float[16];
                for (int k = 0; k < x.length; k++) {
                    x[k] = (float) Math.cos(k * (v + 1) + v);
                }
                vs.add(new BenchModel(name, m.onnx(), m.config(), Map.of(), Map.of("input", x), m.shape()));
            }
            out.put(name, vs);
        }
        return out;
    }

    /** In-process ONNX Runtime's answer for every model and input, from the same bytes. */
    static Map<String, Map<String, Map<String, float[]>>> reference(Map<String, List<BenchModel>> variants)
            throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, Map<String, Map<String, float[]>>> out = new LinkedHashMap<>();
        for (var e : variants.entrySet()) {
            Map<String, Map<String, float[]>> byVariant = new LinkedHashMap<>();
            try (OrtSession.SessionOptions so = new OrtSession.SessionOptions();
                    OrtSession s = env.createSession(e.getValue().get(0).onnx(), so)) {
                for (int v = 0; v < e.getValue().size(); v++) {
                    byVariant.put(Integer.toString(v), e.getValue().get(v).run(env, s));
                }
            }
            out.put(e.getKey(), byVariant);
        }
        return out;
    }

    private static ChaosTraffic.Call call(
            Random rnd,
            Zipf zipf,
            List<String> names,
            Map<String, List<BenchModel>> variants,
            Map<String, Map<String, Map<String, float[]>>> reference,
            List<String> keys) {
        int v = rnd.nextInt(VARIANTS);
        String key = keys.get(rnd.nextInt(keys.size()));
        if (rnd.nextInt(10) == 0) {
            // Through the endpoint: either target may answer; the answer must be that target's.
            BenchModel m = variants.get("m00").get(v).named(ENDPOINT);
            Map<String, Map<String, float[]>> expected = Map.of(
                    "m00", reference.get("m00").get(Integer.toString(v)),
                    "m01", reference.get("m01").get(Integer.toString(v)));
            return new ChaosTraffic.Call(m.request(), expected, key);
        }
        String name = names.get(zipf.sample(rnd));
        return new ChaosTraffic.Call(
                variants.get(name).get(v).request(),
                Map.of(name, reference.get(name).get(Integer.toString(v))),
                key);
    }

    /** Writes tenants.yaml (two tenants) and endpoints.yaml (a canary over m00 and m01); returns the keys. */
    static List<String> writePolicies(Path work) throws IOException {
        StringBuilder t = new StringBuilder("tenants:\n");
        List<String> keys = new ArrayList<>();
        for (String id : TENANTS) {
            keys.add(key(id));
            t.append("  - id: ")
                    .append(id)
                    .append("\n    key_sha256: [")
                    .append(sha256(key(id)))
                    .append("]\n");
            t.append("    priority: ")
                    .append(id.equals("alpha") ? "CRITICAL" : "DEFAULT")
                    .append('\n');
        }
        Files.writeString(work.resolve("tenants.yaml"), t.toString());
        Files.writeString(work.resolve("endpoints.yaml"), "endpoints:\n  - " + endpointJson(80) + "\n");
        return keys;
    }

    static String endpointJson(int weight) {
        return "{\"name\": \"" + ENDPOINT
                + "\", \"metadata\": {\"dataset\": \"chaos\"}, \"policy\": {\"type\": \"canary\","
                + " \"targets\": [{\"model\": \"m00\", \"version\": 1, \"weight\": " + weight + "},"
                + " {\"model\": \"m01\", \"version\": 1, \"weight\": " + (100 - weight) + "}]}}";
    }

    private static String key(String tenant) {
        return "chaos-" + tenant + "-key-0123456789abcdef";
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            // The file system is full: what this fault is for.
        }
    }

    private static void sleepS(double s) throws InterruptedException {
        Thread.sleep((long) (s * 1000));
    }

    /** Zipf(s) over n ranks. */
    static final class Zipf {
        private final double[] cdf;

        Zipf(int n, double s) {
            cdf = new double[n];
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += 1 / Math.pow(i + 1, s);
                cdf[i] = sum;
            }
            for (int i = 0; i < n; i++) {
                cdf[i] /= sum;
            }
        }

        int sample(Random rnd) {
            double u = rnd.nextDouble();
            int lo = 0;
            int hi = cdf.length - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < u) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
