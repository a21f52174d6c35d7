package dev.modelmux.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * {@code bench/latency --jfr}: the node runs with a JFR recording of per-thread allocation totals
 * ({@code jdk.ThreadAllocationStatistics} every 100 ms), allocation samples with stacks
 * ({@code jdk.ObjectAllocationSample}) and GC pauses, written when it exits. {@link #measure} runs,
 * per model, an idle stretch (the node's background allocation rate) and then a closed loop of one
 * call at a time from the Java client; {@link #report}, once the node has exited, prints the bytes
 * the node allocated per request (the threads' totals over the loop, less the idle rate over the same
 * span, divided by the calls), the threads and allocation sites that allocated them, and GC pauses.
 */
final class AllocationPhase {
    private static final long IDLE_MS = 3_000;
    private static final long SETTLE_MS = 1_500;

    private final LatencyRig rig;
    private final Path recording;
    private final List<Window> windows = new ArrayList<>();

    /** A measured loop: the idle stretch before it, its own span, and the calls it made. */
    private record Window(String model, Instant idleStart, Instant start, Instant end, long calls) {}

    AllocationPhase(LatencyRig rig) {
        this.rig = rig;
        this.recording = rig.work.resolve("node.jfr");
    }

    /** The node's JVM flags for the recording; writes its settings file into {@code work}. */
    static List<String> nodeJvmFlags(Path work) throws IOException {
        Path settings = work.resolve("allocation.jfc");
        Files.writeString(settings, """
                <?xml version="1.0" encoding="UTF-8"?>
                <configuration version="2.0" label="modelmux bench/latency allocation">
                  <event name="jdk.ThreadAllocationStatistics">
                    <setting name="enabled">true</setting><setting name="period">100 ms</setting>
                  </event>
                  <event name="jdk.ObjectAllocationSample">
                    <setting name="enabled">true</setting><setting name="throttle">500/s</setting>
                    <setting name="stackTrace">true</setting>
                  </event>
                  <event name="jdk.GarbageCollection">
                    <setting name="enabled">true</setting><setting name="threshold">0 ms</setting>
                  </event>
                </configuration>
                """);
        return List.of("-XX:StartFlightRecording=filename=" + work.resolve("node.jfr") + ",dumponexit=true,settings="
                + settings);
    }

    /** Per model: idle, then {@code seconds} of sequential calls from the Java client, then a pause. */
    void measure(int seconds, int warmup) throws Exception {
        System.out.printf(
                Locale.ROOT,
                "%n== allocation (JFR on the node): per model %d warm-up calls, %.1f s idle, then %d s of sequential calls"
                        + " (java client)%n",
                warmup,
                IDLE_MS / 1000.0,
                seconds);
        ChildProcess client = rig.clients.get("java");
        for (BenchModel m : rig.models) {
            // Warm first (compiled code allocates less than the interpreter: escape analysis).
            client.run(rig.closed(rig.nodeTarget(), m.name(), warmup, 1), 600_000);
            Instant idle = Instant.now();
            Thread.sleep(IDLE_MS);
            Instant start = Instant.now();
            RunResult r = client.run(rig.closedFor(rig.nodeTarget(), m.name(), seconds, 1), 600_000);
            Instant end = Instant.now();
            Thread.sleep(SETTLE_MS);
            if (r.ok() == 0) {
                throw new IllegalStateException(m.name() + ": no call succeeded in the allocation loop: " + r.errors());
            }
            windows.add(new Window(m.name(), idle, start, end, r.ok()));
        }
        System.out.println("(the figures follow once the node has exited and written its recording)");
    }

    /** Reads the recording the node wrote as it exited and prints the figures. */
    void report() throws IOException {
        if (!Files.exists(recording)) {
            System.out.println("allocation: no recording at " + recording + " (did the node exit cleanly?)");
            return;
        }
        List<RecordedEvent> events = RecordingFile.readAllEvents(recording);
        Map<Long, TreeMap<Instant, Long>> perThread = new HashMap<>();
        Map<Long, String> threadNames = new HashMap<>();
        TreeMap<Instant, Boolean> sampleTimes = new TreeMap<>();
        for (RecordedEvent e : events) {
            if (e.getEventType().getName().equals("jdk.ThreadAllocationStatistics")) {
                long id = e.getThread("thread").getJavaThreadId();
                threadNames.put(id, e.getThread("thread").getJavaName());
                perThread.computeIfAbsent(id, k -> new TreeMap<>()).put(e.getStartTime(), e.getLong("allocated"));
                sampleTimes.put(e.getStartTime(), true);
            }
        }
        System.out.printf(Locale.ROOT, "%n== allocation on the node (JFR, %s)%n", recording);
        for (Window w : windows) {
            Instant s0 = floor(sampleTimes, w.idleStart().plusMillis(200));
            Instant s1 = floor(sampleTimes, w.start());
            Instant s2 = floor(sampleTimes, w.end().plusMillis(SETTLE_MS - 200));
            if (s0 == null || s1 == null || s2 == null || !s0.isBefore(s1) || !s1.isBefore(s2)) {
                System.out.printf(Locale.ROOT, "%-9s: too few allocation samples in the recording%n", w.model());
                continue;
            }
            double idleRate = (total(perThread, s1) - total(perThread, s0)) / seconds(s0, s1);
            double busy = total(perThread, s2) - total(perThread, s1);
            double perCall = (busy - idleRate * seconds(s1, s2)) / w.calls();
            System.out.printf(
                    Locale.ROOT,
                    "%-9s: %,.0f bytes allocated per request (%d calls; %,.0f B over %.2f s, less the idle rate %,.0f B/s)%n",
                    w.model(),
                    perCall,
                    w.calls(),
                    busy,
                    seconds(s1, s2),
                    idleRate);
            // Per thread, each less its own idle rate (JFR's own and Hazelcast's threads allocate when idle too).
            Map<String, Double> byThread = new TreeMap<>();
            for (var t : perThread.entrySet()) {
                TreeMap<Instant, Long> series = t.getValue();
                double rate = (value(series, s1) - value(series, s0)) / seconds(s0, s1);
                double d = value(series, s2) - value(series, s1) - rate * seconds(s1, s2);
                byThread.merge(threadGroup(threadNames.get(t.getKey())), d, Double::sum);
            }
            top(byThread, 6)
                    .forEach((k, v) ->
                            System.out.printf(Locale.ROOT, "    thread %-40s %,12.0f B/request%n", k, v / w.calls()));
            sites(events, w);
        }
        gcSummary(events);
        for (LatencyRig.Span span : rig.spans) {
            gcIn(events, span);
        }
    }

    /** GC pauses on the node inside one span of the run (tail evidence: do the slow calls line up with them?). */
    private static void gcIn(List<RecordedEvent> events, LatencyRig.Span span) {
        int count = 0;
        double sumMs = 0;
        double maxMs = 0;
        for (RecordedEvent e : events) {
            if (e.getEventType().getName().equals("jdk.GarbageCollection")
                    && !e.getStartTime().isBefore(span.start())
                    && !e.getStartTime().isAfter(span.end())) {
                count++;
                double ms = e.getDuration("sumOfPauses").toNanos() / 1e6;
                sumMs += ms;
                maxMs = Math.max(maxMs, ms);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "  GC during %-40s %3d collections, %7.1f ms of pauses, longest %6.1f ms%n",
                span.name() + ":",
                count,
                sumMs,
                maxMs);
    }

    /** The allocation samples' weight inside the window by the first modelmux frame and by the top frame. */
    private static void sites(List<RecordedEvent> events, Window w) {
        Map<String, Double> ours = new TreeMap<>();
        Map<String, Double> top = new TreeMap<>();
        double all = 0;
        for (RecordedEvent e : events) {
            if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample")
                    || e.getStartTime().isBefore(w.start())
                    || e.getStartTime().isAfter(w.end())) {
                continue;
            }
            double weight = e.getLong("weight");
            all += weight;
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            top.merge(frame(st.getFrames().get(0)), weight, Double::sum);
            String first = "(no modelmux frame)";
            for (RecordedFrame f : st.getFrames()) {
                if (f.getMethod().getType().getName().startsWith("dev.modelmux")) {
                    first = frame(f);
                    break;
                }
            }
            ours.merge(first, weight, Double::sum);
        }
        if (all == 0) {
            return;
        }
        final double total = all;
        System.out.println("    sampled allocation by first modelmux frame (share of sampled weight):");
        top(ours, 8).forEach((k, v) -> System.out.printf(Locale.ROOT, "      %5.1f%%  %s%n", 100 * v / total, k));
        System.out.println("    ... and by allocating frame:");
        top(top, 8).forEach((k, v) -> System.out.printf(Locale.ROOT, "      %5.1f%%  %s%n", 100 * v / total, k));
    }

    private static void gcSummary(List<RecordedEvent> events) {
        int count = 0;
        double sumMs = 0;
        double maxMs = 0;
        for (RecordedEvent e : events) {
            if (e.getEventType().getName().equals("jdk.GarbageCollection")) {
                count++;
                double ms = e.getDuration("sumOfPauses").toNanos() / 1e6;
                sumMs += ms;
                maxMs = Math.max(maxMs, ms);
            }
        }
        System.out.printf(
                Locale.ROOT,
                "GC on the node over the whole run: %d collections, %.1f ms of pauses in all, longest %.1f ms%n",
                count,
                sumMs,
                maxMs);
    }

    private static String frame(RecordedFrame f) {
        String type = f.getMethod().getType().getName();
        return type.substring(type.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + ":" + f.getLineNumber();
    }

    /** Threads named with a trailing number (pools, event loops) grouped under one name. */
    static String threadGroup(String name) {
        return name == null ? "?" : name.replaceAll("[-#]?\\d+$", "-N");
    }

    private static Map<String, Double> top(Map<String, Double> m, int n) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        m.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .limit(n)
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static Instant floor(TreeMap<Instant, Boolean> times, Instant t) {
        return times.floorKey(t);
    }

    private static double total(Map<Long, TreeMap<Instant, Long>> perThread, Instant t) {
        double sum = 0;
        for (TreeMap<Instant, Long> series : perThread.values()) {
            sum += value(series, t);
        }
        return sum;
    }

    private static double value(TreeMap<Instant, Long> series, Instant t) {
        Map.Entry<Instant, Long> e = series.floorEntry(t);
        return e == null ? 0 : e.getValue();
    }

    private static double seconds(Instant a, Instant b) {
        return (b.toEpochMilli() - a.toEpochMilli()) / 1000.0;
    }
}
