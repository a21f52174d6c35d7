package dev.modelmux.cluster.internal;

import com.hazelcast.map.IMap;
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
 * {@link FeatureTable} over an {@code IMap<String, FeatureValue>} keyed {@code entityId + '\0' +
 * feature}. Names never contain {@code '\0'} (they match {@link FeatureTable#NAME}), so a key
 * splits back into exactly one (entity, feature) pair.
 */
final class HazelcastFeatureTable implements FeatureTable {

    static final char SEPARATOR = '\u0000';

    private final IMap<String, FeatureValue> map;
    private final Executor executor;
    private final LongSupplier clockMillis;

    HazelcastFeatureTable(IMap<String, FeatureValue> map, Executor executor, LongSupplier clockMillis) {
        this.map = map;
        this.executor = executor;
        this.clockMillis = clockMillis;
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
            Map<String, FeatureValue> found = map.getAll(keys);
            Map<String, FeatureValue> out = new HashMap<>(found.size() * 2);
            found.forEach((k, v) -> out.put(k.substring(prefix), v));
            return out;
        });
    }

    @Override
    public CompletableFuture<Integer> put(Map<String, Map<String, Double>> valuesByEntity) {
        long now = clockMillis.getAsLong();
        Map<String, FeatureValue> entries = new HashMap<>();
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
                entries.put(key(e.getKey(), f.getKey()), new FeatureValue(f.getValue(), now));
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
            for (Map.Entry<String, FeatureValue> e : map.entrySet(Predicates.regex("__key", regex))) {
                out.put(e.getKey().substring(prefix), e.getValue());
            }
            return out;
        });
    }

    @Override
    public CompletableFuture<Boolean> isEmpty() {
        return Async.call(executor, map::isEmpty);
    }
}
