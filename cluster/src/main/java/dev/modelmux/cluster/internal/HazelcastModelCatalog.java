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

/**
 * {@link ModelCatalog} over an {@code IMap<ModelKey, StoredCatalogEntry>}; updates are entry
 * processors tagged by this node and run only by members that hold the key. Reads (and updates'
 * answers) believe only entries whose tag verifies for their key.
 */
final class HazelcastModelCatalog implements ModelCatalog {

    private final IMap<Object, Object> map;
    private final Executor executor;
    private final EntryTags tags;

    HazelcastModelCatalog(IMap<Object, Object> map, Executor executor, EntryTags tags) {
        this.map = map;
        this.executor = executor;
        this.tags = tags;
    }

    @Override
    public CompletableFuture<CatalogEntry> predict(ModelKey key, long predictedBytes) {
        if (predictedBytes < 0) {
            return Async.failed(new IllegalArgumentException("predicted size of " + key + " is negative"));
        }
        return update(key, new CatalogOp(CatalogOp.Kind.PREDICT, predictedBytes, 0));
    }

    @Override
    public CompletableFuture<CatalogEntry> recordMeasured(ModelKey key, long measuredBytes, long loadMillis) {
        if (measuredBytes < 0 || loadMillis < 0) {
            return Async.failed(
                    new IllegalArgumentException("measured size and load time of " + key + " must be >= 0"));
        }
        return update(key, new CatalogOp(CatalogOp.Kind.MEASURE, measuredBytes, loadMillis));
    }

    private CompletableFuture<CatalogEntry> update(ModelKey key, CatalogOp op) {
        CatalogOp signed = op.signedFor(tags, key);
        return Async.call(executor, () -> {
            CatalogEntry after = StoredCatalogEntry.trusted(tags, key, map.executeOnKey(key, signed));
            if (after == null) {
                throw new IllegalStateException(
                        "the member that updated the catalog entry of " + key + " answered with no valid tag");
            }
            return after;
        });
    }

    @Override
    public CompletableFuture<Optional<CatalogEntry>> get(ModelKey key) {
        return Async.call(
                executor,
                () -> Optional.ofNullable(StoredCatalogEntry.trusted(
                        tags, key, Decode.read(tags, Forgeries.CATALOG, key, () -> map.get(key)))));
    }

    @Override
    public CompletableFuture<Map<ModelKey, CatalogEntry>> all() {
        return Async.call(executor, () -> {
            Map<ModelKey, CatalogEntry> all = new TreeMap<>();
            for (Map.Entry<Object, Object> e : Decode.entries(tags, Forgeries.CATALOG, map.entrySet())) {
                Object key = Decode.read(tags, Forgeries.CATALOG, "(unreadable key)", e::getKey);
                CatalogEntry entry =
                        StoredCatalogEntry.trusted(tags, key, Decode.value(tags, Forgeries.CATALOG, key, e));
                if (key instanceof ModelKey k && entry != null) {
                    all.put(k, entry);
                }
            }
            return Collections.unmodifiableMap(all);
        });
    }

    @Override
    public CompletableFuture<Void> remove(ModelKey key) {
        return Async.run(executor, () -> map.delete(key));
    }
}
