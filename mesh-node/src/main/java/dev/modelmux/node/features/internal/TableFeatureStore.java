package dev.modelmux.node.features.internal;

import dev.modelmux.cluster.FeatureTable;
import dev.modelmux.cluster.FeatureValue;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.node.features.FeatureStore;
import dev.modelmux.node.features.FeatureStoreConfig;
import dev.modelmux.node.features.FeatureVector;
import dev.modelmux.node.features.FeatureVector.Source;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * {@link FeatureStore} over the mesh's {@link FeatureTable}: per request, the cache first (when
 * the request allows staleness), then one batched read of the rest, raced against a timer. The
 * first to finish decides; a read that answers after the deadline still refreshes the cache and
 * the latency metric, and a read whose deadline passed before it started is skipped.
 *
 * <p>Store reads run on this store's own bounded pool, so a slow store cannot hold up the
 * cluster's bookkeeping; a full pool fails the read at once ({@link Source#DEFAULT_ERROR}).
 */
public final class TableFeatureStore implements FeatureStore, AutoCloseable {
    /** Store reads in flight at once, and waiting: beyond this a read fails fast. */
    static final int THREADS = 4;

    static final int QUEUE = 4096;

    private final FeatureTable table;
    private final Vertx vertx;
    private final FeatureCache cache;
    private final long delayMillis;
    private final LongSupplier nanoClock;
    private final LongSupplier clockMillis;
    private final FeatureMetrics metrics;
    private final ThreadPoolExecutor executor;

    TableFeatureStore(
            FeatureTable table,
            Vertx vertx,
            FeatureCache cache,
            Duration lookupDelay,
            LongSupplier nanoClock,
            LongSupplier clockMillis,
            FeatureMetrics metrics,
            ThreadPoolExecutor executor) {
        this.table = table;
        this.vertx = vertx;
        this.cache = cache;
        this.delayMillis = lookupDelay.toMillis();
        this.nanoClock = nanoClock;
        this.clockMillis = clockMillis;
        this.metrics = metrics;
        this.executor = executor;
    }

    /** A store over {@code cluster}'s table with the system clocks. */
    public static TableFeatureStore create(
            MeshCluster cluster, Vertx vertx, FeatureStoreConfig config, MeterRegistry registry) {
        return create(cluster, vertx, config, registry, System::nanoTime, System::currentTimeMillis);
    }

    /** As {@link #create(MeshCluster, Vertx, FeatureStoreConfig, MeterRegistry)} with the clocks passed in (tests). */
    public static TableFeatureStore create(
            MeshCluster cluster,
            Vertx vertx,
            FeatureStoreConfig config,
            MeterRegistry registry,
            LongSupplier nanoClock,
            LongSupplier clockMillis) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor =
                new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(QUEUE), r -> {
                    Thread t = new Thread(r, "modelmux-features-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        return new TableFeatureStore(
                cluster.features(executor),
                vertx,
                new FeatureCache(config.cacheEntries()),
                config.lookupDelay(),
                nanoClock,
                clockMillis,
                new FeatureMetrics(registry),
                executor);
    }

    /** The table this store reads, on the store's pool (the admin API writes through it). */
    public FeatureTable table() {
        return table;
    }

    /** Values in this node's cache now (tests, diagnostics). */
    public int cachedValues() {
        return cache.size();
    }

    @Override
    public CompletionStage<FeatureVector> fetch(
            String entityId, List<String> refs, Map<String, Double> defaults, Duration timeout, Duration maxStaleness) {
        long start = nanoClock.getAsLong();
        Map<String, Double> dflt = defaults == null ? Map.of() : defaults;
        LinkedHashSet<String> names = new LinkedHashSet<>();
        if (refs != null) {
            for (String r : refs) {
                if (r != null) {
                    names.add(r);
                }
            }
        }
        Request req = new Request(names, dflt);
        metrics.requested(names.size());
        boolean validEntity = FeatureTable.validName(entityId);
        List<String> toFetch = new ArrayList<>();
        for (String f : names) {
            if (validEntity && FeatureTable.validName(f)) {
                toFetch.add(f);
            } else {
                req.served.put(f, Source.DEFAULT_MISSING);
            }
        }
        long staleNanos = maxStaleness == null || maxStaleness.isNegative() ? 0 : maxStaleness.toNanos();
        boolean caching = staleNanos > 0 && cache.enabled();
        if (caching && !toFetch.isEmpty()) {
            Map<String, FeatureValue> hit = cache.fresh(entityId, toFetch, start, staleNanos);
            hit.forEach((f, v) -> req.found(f, v, Source.CACHE));
            toFetch.removeAll(hit.keySet());
            metrics.cacheHits(hit.size());
        }
        if (toFetch.isEmpty()) {
            return CompletableFuture.completedFuture(req.vector(false));
        }
        if (timeout == null || timeout.isZero() || timeout.isNegative()) {
            metrics.timeout();
            toFetch.forEach(f -> req.served.put(f, Source.DEFAULT_TIMEOUT));
            return CompletableFuture.completedFuture(req.vector(true));
        }
        CompletableFuture<FeatureVector> result = new CompletableFuture<>();
        AtomicBoolean decided = new AtomicBoolean();
        // Whole milliseconds, rounded up: a timer never fires before the deadline it stands for.
        long timeoutMillis = Math.max(1, (timeout.toNanos() + 999_999) / 1_000_000);
        long timer = vertx.setTimer(timeoutMillis, id -> {
            if (decided.compareAndSet(false, true)) {
                metrics.timeout();
                synchronized (req) {
                    toFetch.forEach(f -> req.served.put(f, Source.DEFAULT_TIMEOUT));
                    result.complete(req.vector(true));
                }
            }
        });
        Runnable read = () -> {
            if (decided.get()) {
                return; // the deadline passed before the read began: spare the store
            }
            table.get(entityId, toFetch).whenComplete((found, error) -> {
                metrics.lookup(error == null, nanoClock.getAsLong() - start);
                if (error != null) {
                    metrics.error();
                } else if (caching) {
                    cache.put(entityId, found, nanoClock.getAsLong());
                }
                if (decided.compareAndSet(false, true)) {
                    vertx.cancelTimer(timer);
                    synchronized (req) {
                        for (String f : toFetch) {
                            FeatureValue v = error == null ? found.get(f) : null;
                            if (v != null) {
                                req.found(f, v, Source.STORE);
                            } else {
                                req.served.put(f, error == null ? Source.DEFAULT_MISSING : Source.DEFAULT_ERROR);
                            }
                        }
                        result.complete(req.vector(false));
                    }
                }
            });
        };
        if (delayMillis > 0) {
            vertx.setTimer(delayMillis, id -> read.run());
        } else {
            read.run();
        }
        return result;
    }

    /** One request's answers so far; {@link #served} keeps the ask order once filled. */
    private final class Request {
        final Map<String, Double> defaults;
        final Map<String, Source> served = new LinkedHashMap<>();
        final Map<String, FeatureValue> values = new LinkedHashMap<>();
        final LinkedHashSet<String> order;

        Request(LinkedHashSet<String> order, Map<String, Double> defaults) {
            this.order = order;
            this.defaults = defaults;
        }

        void found(String f, FeatureValue v, Source source) {
            values.put(f, v);
            served.put(f, source);
        }

        FeatureVector vector(boolean timedOut) {
            long now = clockMillis.getAsLong();
            Map<String, Double> out = new LinkedHashMap<>();
            Map<String, Source> sources = new LinkedHashMap<>();
            boolean anyDefault = false;
            long maxAge = 0;
            int missing = 0;
            for (String f : order) {
                Source s = served.get(f);
                sources.put(f, s);
                if (s.isDefault()) {
                    anyDefault = true;
                    missing += s == Source.DEFAULT_MISSING ? 1 : 0;
                    Double d = defaults.get(f);
                    out.put(f, d == null ? Double.NaN : d);
                } else {
                    FeatureValue v = values.get(f);
                    out.put(f, v.value());
                    long age = Math.max(0, now - v.updatedAtMillis());
                    metrics.age(age);
                    maxAge = Math.max(maxAge, age);
                }
            }
            metrics.misses(missing);
            return new FeatureVector(out, sources, anyDefault, timedOut, maxAge);
        }
    }

    /** Stops the store's read threads (reads in flight complete as errors, never as a blocked caller). */
    @Override
    public void close() {
        executor.shutdown();
    }
}
