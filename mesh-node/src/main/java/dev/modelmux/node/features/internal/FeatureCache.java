package dev.modelmux.node.features.internal;

import dev.modelmux.cluster.FeatureValue;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * This node's cache of feature values: least recently used out first past {@code capacity}
 * entries, each stamped with when it was fetched. How stale a value may be is the reader's
 * choice ({@link #fresh}): an entry too old for one request may still serve another, and the
 * refetch overwrites it. One lock, taken once per request for all its features.
 */
final class FeatureCache {
    private record Entry(FeatureValue value, long fetchedAtNanos) {}

    private final int capacity;
    private final LinkedHashMap<String, Entry> entries;

    FeatureCache(int capacity) {
        this.capacity = capacity;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > FeatureCache.this.capacity;
            }
        };
    }

    boolean enabled() {
        return capacity > 0;
    }

    /** The cached values of {@code features} fetched at most {@code maxAgeNanos} before {@code nowNanos}. */
    synchronized Map<String, FeatureValue> fresh(
            String entityId, Collection<String> features, long nowNanos, long maxAgeNanos) {
        Map<String, FeatureValue> out = new HashMap<>();
        for (String f : features) {
            Entry e = entries.get(key(entityId, f));
            if (e != null && nowNanos - e.fetchedAtNanos() <= maxAgeNanos) {
                out.put(f, e.value());
            }
        }
        return out;
    }

    synchronized void put(String entityId, Map<String, FeatureValue> values, long nowNanos) {
        if (capacity <= 0) {
            return;
        }
        values.forEach((f, v) -> entries.put(key(entityId, f), new Entry(v, nowNanos)));
    }

    synchronized int size() {
        return entries.size();
    }

    private static String key(String entityId, String feature) {
        return entityId + '\u0000' + feature;
    }
}
