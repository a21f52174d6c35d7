package dev.modelmux.cluster.internal;

import com.hazelcast.map.IMap;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.ModelCatalog;
import dev.modelmux.cluster.ModelKey;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/** {@link ModelCatalog} over an {@code IMap<ModelKey, CatalogEntry>}; updates are entry processors. */
final class HazelcastModelCatalog implements ModelCatalog {

    private final IMap<ModelKey, CatalogEntry> map;
    private final Executor executor;

    HazelcastModelCatalog(IMap<ModelKey, CatalogEntry> map, Executor executor) {
        this.map = map;
        this.executor = executor;
    }

    @Override
    public CompletableFuture<CatalogEntry> predict(ModelKey key, long predictedBytes) {
        if (predictedBytes < 0) {
            return Async.failed(new IllegalArgumentException("predicted size of " + key + " is negative"));
        }
        return Async.call(
                executor, () -> map.executeOnKey(key, new CatalogOp(CatalogOp.Kind.PREDICT, predictedBytes, 0)));
    }

    @Override
    public CompletableFuture<CatalogEntry> recordMeasured(ModelKey key, long measuredBytes, long loadMillis) {
        if (measuredBytes < 0 || loadMillis < 0) {
            return Async.failed(
                    new IllegalArgumentException("measured size and load time of " + key + " must be >= 0"));
        }
        return Async.call(
                executor,
                () -> map.executeOnKey(key, new CatalogOp(CatalogOp.Kind.MEASURE, measuredBytes, loadMillis)));
    }

    @Override
    public CompletableFuture<Optional<CatalogEntry>> get(ModelKey key) {
        return Async.call(executor, () -> Optional.ofNullable(map.get(key)));
    }

    @Override
    public CompletableFuture<Map<ModelKey, CatalogEntry>> all() {
        return Async.call(executor, () -> Collections.unmodifiableMap(new TreeMap<>(Map.copyOf(map))));
    }

    @Override
    public CompletableFuture<Void> remove(ModelKey key) {
        return Async.run(executor, () -> map.delete(key));
    }
}
