package dev.modelmux.cluster.internal;

import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import com.hazelcast.query.Predicates;
import dev.modelmux.cluster.FeatureTable;
import dev.modelmux.cluster.FeatureValue;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * {@link FeatureTable} over an {@code IMap<String, StoredFeature>} keyed {@code entityId + '\0' +
 * feature}. Names never contain {@code '\0'} (they match {@link FeatureTable#NAME}), so a key
 * splits back into exactly one (entity, feature) pair. Every value is tagged by its writer over
 * the value, its time and its key; a reader treats a value without a valid tag as not stored (and
 * counts it). The tag is 16 bytes per value and one HMAC per value read or written, a few
 * microseconds per request-path lookup.
 */
final class HazelcastFeatureTable implements FeatureTable {

    static final char SEPARATOR = '\u0000';

    private final IMap<String, Object> map;
    private final Executor executor;
    private final LongSupplier clockMillis;
    private final EntryTags tags;

    HazelcastFeatureTable(IMap<String, Object> map, Executor executor, LongSupplier clockMillis, EntryTags tags) {
        this.map = map;
        this.executor = executor;
        this.clockMillis = clockMillis;
        this.tags = tags;
    }

    static String key(String entityId, String feature) {
        return entityId + SEPARATOR + feature;
    }

    @Override
    public CompletableFuture<Map<String, FeatureValue>> get(String entityId, Collection<String> features) {
        if (!FeatureTable.validName(entityId)) {
            return Async.failed(new IllegalArgumentException("entity id '" + entityId + "' must match " + NAME));
        }
        Set<String> keys = new LinkedHashSet<>();
        for (String f : features) {
            if (!FeatureTable.validName(f)) {
                return Async.failed(new IllegalArgumentException("feature name '" + f + "' must match " + NAME));
            }
            keys.add(key(entityId, f));
        }
        if (keys.isEmpty()) {
            return CompletableFuture.completedFuture(Map.of());
        }
        int prefix = entityId.length() + 1;
        return Async.call(executor, () -> {
            Map<String, Object> found = getAll(keys);
            Map<String, FeatureValue> out = new HashMap<>(found.size() * 2);
            found.forEach((k, raw) -> {
                FeatureValue v = StoredFeature.trusted(tags, k, raw);
                if (v != null) {
                    out.put(k.substring(prefix), v);
                }
            });
            return out;
        });
    }

    /** One batched read; if one value cannot be read at all, the values one by one without it. */
    private Map<String, Object> getAll(Set<String> keys) {
        try {
            return map.getAll(keys);
        } catch (HazelcastSerializationException unreadable) {
            Map<String, Object> found = new HashMap<>();
            for (String k : keys) {
                Object raw = Decode.read(tags, Forgeries.FEATURES, k, () -> map.get(k));
                if (raw != null) {
                    found.put(k, raw);
                }
            }
            return found;
        }
    }

    @Override
    public CompletableFuture<Integer> put(Map<String, Map<String, Double>> valuesByEntity) {
        long now = clockMillis.getAsLong();
        Map<String, Object> entries = new HashMap<>();
        for (Map.Entry<String, Map<String, Double>> e : valuesByEntity.entrySet()) {
            if (!FeatureTable.validName(e.getKey())) {
                return Async.failed(new IllegalArgumentException("entity id '" + e.getKey() + "' must match " + NAME));
            }
            for (Map.Entry<String, Double> f : e.getValue().entrySet()) {
                if (!FeatureTable.validName(f.getKey())) {
                    return Async.failed(
                            new IllegalArgumentException("feature name '" + f.getKey() + "' must match " + NAME));
                }
                if (f.getValue() == null || !Double.isFinite(f.getValue())) {
                    return Async.failed(new IllegalArgumentException("feature " + f.getKey() + " of " + e.getKey()
                            + " must be a finite number, was " + f.getValue()));
                }
                String key = key(e.getKey(), f.getKey());
                entries.put(key, StoredFeature.tagged(tags, key, f.getValue(), now));
            }
        }
        if (entries.isEmpty()) {
            return CompletableFuture.completedFuture(0);
        }
        return Async.call(executor, () -> {
            map.putAll(entries);
            return entries.size();
        });
    }

    @Override
    public CompletableFuture<Map<String, FeatureValue>> entity(String entityId) {
        if (!FeatureTable.validName(entityId)) {
            return Async.failed(new IllegalArgumentException("entity id '" + entityId + "' must match " + NAME));
        }
        String regex = Pattern.quote(entityId + SEPARATOR) + ".*";
        int prefix = entityId.length() + 1;
        return Async.call(executor, () -> {
            Map<String, FeatureValue> out = new TreeMap<>();
            for (Map.Entry<String, Object> e :
                    Decode.entries(tags, Forgeries.FEATURES, map.entrySet(Predicates.regex("__key", regex)))) {
                String key = e.getKey();
                FeatureValue v = StoredFeature.trusted(tags, key, Decode.value(tags, Forgeries.FEATURES, key, e));
                if (v != null) {
                    out.put(key.substring(prefix), v);
                }
            }
            return out;
        });
    }

    @Override
    public CompletableFuture<Boolean> isEmpty() {
        return Async.call(executor, map::isEmpty);
    }
}
