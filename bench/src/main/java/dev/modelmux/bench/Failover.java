package dev.modelmux.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Kills a node process that holds models with {@code kill -9} while every one of its models is
 * being requested, in a loop, through the survivors; measures for each model the seconds from the
 * kill until a request sent after it is answered, and checks every answer against the in-process
 * reference.
 */
final class Failover {
    /** What the survivors did after the kill. */
    record Result(
            String victim,
            Map<String, Double> recoverySeconds,
            long answers,
            long wrong,
            double worstError,
            Map<String, Long> failures,
            double membershipSeconds) {}

    static final long REQUEST_TIMEOUT_MS = 5_000;
    static final long PAUSE_MS = 20;

    private final MeshClient client;
    private final Map<String, Map<String, float[]>> reference;
    private final double tolerance;

    Failover(MeshClient client, Map<String, Map<String, float[]>> reference, double tolerance) {
        this.client = client;
        this.reference = reference;
        this.tolerance = tolerance;
    }

    /**
     * @param victim the node to kill
     * @param survivors the nodes requests go to (model i through survivor i mod n)
     * @param models the victim's models, each with the request the benchmark sends
     * @param boundSeconds how long to wait for every model before giving up
     */
    Result run(NodeProcess victim, List<NodeProcess> survivors, Map<String, BenchModel> models, double boundSeconds)
            throws InterruptedException {
        Map<String, Double> recovered = new ConcurrentHashMap<>();
        Map<String, Long> failures = new ConcurrentHashMap<>();
        AtomicLong answers = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        AtomicLong worstBits = new AtomicLong(Double.doubleToLongBits(0));
        AtomicLong killedAt = new AtomicLong(Long.MAX_VALUE);
        long hardStop = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos((long) (boundSeconds * 1000) + 2_000);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> pollers = new ArrayList<>();
        int i = 0;
        for (BenchModel m : models.values()) {
            NodeProcess via = survivors.get(i++ % survivors.size());
            Thread t = new Thread(
                    () -> {
                        var req = m.request();
                        while (!stop.get() && System.nanoTime() < hardStop) {
                            long sent = System.nanoTime();
                            MeshClient.Reply r = client.call(via.grpcPort(), req, REQUEST_TIMEOUT_MS);
                            long done = System.nanoTime();
                            boolean afterKill = sent > killedAt.get();
                            if (r.ok()) {
                                answers.incrementAndGet();
                                double err = BenchModel.maxRelativeError(
                                        reference.get(m.name()), BenchModel.outputs(r.body()));
                                worstBits.accumulateAndGet(
                                        Double.doubleToLongBits(err),
                                        (a, b) -> Double.longBitsToDouble(b) > Double.longBitsToDouble(a) ? b : a);
                                if (err > tolerance) {
                                    wrong.incrementAndGet();
                                } else if (afterKill) {
                                    recovered.putIfAbsent(m.name(), (done - killedAt.get()) / 1e9);
                                }
                            } else {
                                failures.merge(
                                        (afterKill ? "after kill: " : "before kill: ") + r.status(), 1L, Long::sum);
                            }
                            sleep(PAUSE_MS);
                        }
                    },
                    "bench-failover-" + m.name());
            t.setDaemon(true);
            pollers.add(t);
            t.start();
        }
        Thread.sleep(1_000); // traffic flowing (forwarded to the victim) before the kill
        int membersBefore = survivors.get(0).members();
        killedAt.set(System.nanoTime());
        victim.kill();
        long bound = killedAt.get() + TimeUnit.MILLISECONDS.toNanos((long) (boundSeconds * 1000));
        while (recovered.size() < models.size() && System.nanoTime() < bound) {
            Thread.sleep(20);
        }
        Thread.sleep(1_000); // keep checking answers for a moment after the last model came back
        stop.set(true);
        for (Thread t : pollers) {
            t.join(REQUEST_TIMEOUT_MS + 2_000);
        }
        NodeProcess watcher = survivors.get(0);
        double membership = watcher.members() < membersBefore && watcher.membersChangedNanos() > killedAt.get()
                ? (watcher.membersChangedNanos() - killedAt.get()) / 1e9
                : Double.NaN;
        return new Result(
                victim.id,
                new TreeMap<>(recovered),
                answers.get(),
                wrong.get(),
                Double.longBitsToDouble(worstBits.get()),
                new TreeMap<>(failures),
                membership);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
