package dev.modelmux.node.mesh;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DocumentWrite;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.SharedDocument;
import dev.modelmux.node.metrics.ModelStats;
import dev.modelmux.placement.capacity.WindowedSeries;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live figures capacity advice is made of, kept on every node:
 * <ul>
 *   <li><b>request rates</b>: every {@value #RATE_SAMPLE_MS} ms the cluster-wide rate of each model,
 *       the sum of the {@code request_rate} its READY copies' holders report to the placement table
 *       (each about once a second, for the requests it served), goes into 10 s buckets kept 15 min;
 *   <li><b>latency</b>: every {@value #LATENCY_SAMPLE_MS} ms the p99 of each model's time in the
 *       runtime on this node over the last minute (the node's own windows, {@code NodeMetrics.computeStats()}), kept
 *       per wall-clock minute for 15 min and published to the mesh as the shared document
 *       {@code capacity.latency.<node id>}, so any node can combine what every holder measured.
 * </ul>
 * Sampling the table runs on the event loop (a map walk); the windows are read on a worker.
 */
public final class CapacitySignals {
    private static final Logger LOG = LoggerFactory.getLogger(CapacitySignals.class);
    static final long RATE_SAMPLE_MS = 1_000;
    static final long LATENCY_SAMPLE_MS = 5_000;
    static final long RATE_BUCKET_NANOS = TimeUnit.SECONDS.toNanos(10);
    static final long LATENCY_BUCKET_MILLIS = 60_000;
    /** How far back figures are kept (and the longest window advice may ask for). */
    public static final long RETENTION_MILLIS = TimeUnit.MINUTES.toMillis(15);

    static final String DOC_PREFIX = "capacity.latency.";
    private static final int MAX_DOC_BYTES = 900 * 1024;

    private final Vertx vertx;
    private final ClusterLink link;
    private final ModelStats compute;
    private final LongSupplier nanoClock;
    private final LongSupplier wallClock;
    private final long startedNanos;
    private final Map<String, WindowedSeries> rates = new HashMap<>();
    private final Map<String, WindowedSeries> latency = new HashMap<>();
    private Map<String, Double> current = Map.of();
    private long rateTimer = -1;
    private long latencyTimer = -1;
    private long publishedVersion;
    private String publishedText = "";
    private boolean publishing;
    private volatile boolean stopped;

    public CapacitySignals(
            Vertx vertx, ClusterLink link, ModelStats compute, LongSupplier nanoClock, LongSupplier wallClock) {
        this.vertx = vertx;
        this.link = link;
        this.compute = compute;
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.startedNanos = nanoClock.getAsLong();
    }

    public void start() {
        rateTimer = vertx.setPeriodic(0, RATE_SAMPLE_MS, id -> sampleRates());
        latencyTimer = vertx.setPeriodic(
                1_000,
                LATENCY_SAMPLE_MS,
                id -> vertx.executeBlocking(
                        () -> {
                            sampleLatency();
                            publish();
                            return null;
                        },
                        false));
    }

    public void stop() {
        stopped = true;
        if (rateTimer >= 0) {
            vertx.cancelTimer(rateTimer);
        }
        if (latencyTimer >= 0) {
            vertx.cancelTimer(latencyTimer);
        }
    }

    /** Adds one sample of every model's cluster-wide rate, read from the local follower of the placement table. */
    synchronized void sampleRates() {
        long now = nanoClock.getAsLong();
        Map<String, Double> sum = new HashMap<>();
        for (Map.Entry<ModelKey, List<Copy>> e : link.table().entrySet()) {
            for (Copy c : e.getValue()) {
                if (c.state() == Copy.State.READY) {
                    sum.merge(e.getKey().model(), c.requestRate(), Double::sum);
                }
            }
        }
        sum.forEach((model, r) -> {
            if (r > 0 || rates.containsKey(model)) {
                rates.computeIfAbsent(
                                model,
                                k -> new WindowedSeries(
                                        RATE_BUCKET_NANOS, TimeUnit.MILLISECONDS.toNanos(RETENTION_MILLIS)))
                        .add(now, r);
            }
        });
        long retention = TimeUnit.MILLISECONDS.toNanos(RETENTION_MILLIS);
        rates.entrySet().removeIf(e -> {
            if (!sum.containsKey(e.getKey())) {
                e.getValue().add(now, 0); // no READY copy: nothing served
            }
            return e.getValue().max(now, retention).orElse(0) <= 0; // no traffic for the whole retention
        });
        current = Map.copyOf(sum);
    }

    /** Samples this node's per-model runtime latency (a pass over every model's window, outside the lock). */
    void sampleLatency() {
        long wall = wallClock.getAsLong();
        Map<String, Double> p99 = new HashMap<>();
        for (String model : compute.models()) {
            compute.of(model).ifPresent(f -> f.p99Ms().ifPresent(ms -> p99.put(model, ms / 1000.0)));
        }
        synchronized (this) {
            p99.forEach((model, seconds) -> latency.computeIfAbsent(
                            model, k -> new WindowedSeries(LATENCY_BUCKET_MILLIS, RETENTION_MILLIS))
                    .add(wall, seconds));
            latency.entrySet().removeIf(e -> e.getValue().count(wall, RETENTION_MILLIS) == 0);
        }
    }

    /** The highest 10 s mean of a model's cluster-wide rate over {@code windowMillis}; 0 without traffic. */
    public synchronized double peakQps(String model, long windowMillis) {
        WindowedSeries s = rates.get(model);
        return s == null
                ? 0
                : s.peakMean(nanoClock.getAsLong(), TimeUnit.MILLISECONDS.toNanos(windowMillis))
                        .orElse(0);
    }

    /** The model's cluster-wide rate at the last sample. */
    public synchronized double currentQps(String model) {
        return current.getOrDefault(model, 0.0);
    }

    /** Models with a rate in the retention. */
    public synchronized Set<String> modelsWithTraffic() {
        return new TreeSet<>(rates.keySet());
    }

    /** How much of {@code windowMillis} this node's rate history covers (it starts when the node does). */
    public long coveredMillis(long windowMillis) {
        return Math.min(windowMillis, TimeUnit.NANOSECONDS.toMillis(nanoClock.getAsLong() - startedNanos));
    }

    /**
     * Per model, the worst one-minute p99 (seconds) any node measured in the minutes overlapping the
     * last {@code windowMillis}: this node's own series, and what the other members published.
     */
    public Future<Map<String, Double>> p99(long windowMillis) {
        long wall = wallClock.getAsLong();
        Map<String, Double> out = new HashMap<>();
        synchronized (this) {
            latency.forEach((model, s) -> s.max(wall, windowMillis).ifPresent(v -> out.merge(model, v, Math::max)));
        }
        List<Future<Optional<SharedDocument>>> reads = new ArrayList<>();
        for (String member : link.cluster().members()) {
            if (!member.equals(link.nodeId())) {
                reads.add(Future.fromCompletionStage(
                        link.cluster().documents().get(DOC_PREFIX + member), vertx.getOrCreateContext()));
            }
        }
        return Future.join(reads).transform(ar -> {
            for (Future<Optional<SharedDocument>> f : reads) {
                if (f.succeeded() && f.result().isPresent()) {
                    merge(out, f.result().get().text(), wall, windowMillis);
                }
            }
            return Future.succeededFuture(out);
        });
    }

    /** Folds one published document into {@code out}; a malformed one is skipped. */
    static void merge(Map<String, Double> out, String text, long wall, long windowMillis) {
        try {
            JsonObject models = new JsonObject(text).getJsonObject("models", new JsonObject());
            long from = Math.floorDiv(wall - windowMillis, LATENCY_BUCKET_MILLIS) * LATENCY_BUCKET_MILLIS;
            for (String model : models.fieldNames()) {
                for (Object o : models.getJsonArray(model)) {
                    JsonArray pair = (JsonArray) o;
                    long start = pair.getLong(0);
                    double p99 = pair.getDouble(1);
                    if (start >= from && start <= wall && p99 >= 0) {
                        out.merge(model, p99, Math::max);
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("capacity: skipping a malformed latency document: {}", e.toString());
        }
    }

    /** Publishes this node's latency minutes when they changed (one conditional write; a conflict re-reads the version). */
    private void publish() {
        String text;
        synchronized (this) {
            long wall = wallClock.getAsLong();
            JsonObject models = new JsonObject();
            int size = 64;
            for (String model : new TreeSet<>(latency.keySet())) {
                JsonArray minutes = new JsonArray();
                for (double[] m : latency.get(model).maxima(wall, RETENTION_MILLIS)) {
                    minutes.add(new JsonArray().add((long) m[0]).add(m[1]));
                }
                size += model.length() + minutes.encode().length() + 4;
                if (size > MAX_DOC_BYTES) {
                    LOG.warn(
                            "capacity: latency of {} models does not fit one document; the rest stay local",
                            models.size());
                    break;
                }
                models.put(model, minutes);
            }
            if (models.isEmpty() && publishedText.isEmpty()) {
                return;
            }
            text = new JsonObject()
                    .put("node", link.nodeId())
                    .put("models", models)
                    .encode();
            if (text.equals(publishedText) || publishing || stopped) {
                return;
            }
            publishing = true;
        }
        String name = DOC_PREFIX + link.nodeId();
        link.cluster()
                .documents()
                .compareAndSet(name, publishedVersion, text, "capacity signals")
                .whenComplete((w, t) -> {
                    synchronized (this) {
                        publishing = false;
                        if (t != null) {
                            LOG.debug("capacity: publishing latency failed: {}", t.toString());
                        } else if (w instanceof DocumentWrite.Written written) {
                            publishedVersion = written.document().version();
                            publishedText = text;
                        } else if (w instanceof DocumentWrite.Conflict c) {
                            publishedVersion =
                                    c.currentVersion(); // a previous life of this node id wrote it; the next tick wins
                        }
                    }
                });
    }
}
