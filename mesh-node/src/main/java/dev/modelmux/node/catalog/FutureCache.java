package dev.modelmux.node.catalog;

import io.vertx.core.Future;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A bounded, least-recently-used cache of futures: concurrent callers of one key share one
 * computation, a failed one is forgotten (the next caller tries again), and past {@code capacity}
 * keys the least recently used is dropped.
 */
final class FutureCache<V> {
    private final Map<String, Future<V>> entries;

    FutureCache(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Future<V>> eldest) {
                return size() > capacity;
            }
        };
    }

    Future<V> get(String key, Supplier<Future<V>> compute) {
        Future<V> f;
        synchronized (entries) {
            f = entries.get(key);
            if (f != null) {
                return f;
            }
            f = compute.get();
            entries.put(key, f);
        }
        Future<V> mine = f;
        f.onFailure(t -> {
            synchronized (entries) {
                entries.remove(key, mine);
            }
        });
        return f;
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
