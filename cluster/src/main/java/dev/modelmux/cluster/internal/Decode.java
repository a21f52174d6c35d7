package dev.modelmux.cluster.internal;

import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.map.impl.LazyMapEntry;
import com.hazelcast.nio.serialization.HazelcastSerializationException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reads a value Hazelcast deserializes lazily without letting one unreadable entry fail the whole
 * read: a value refused by the serialization filter, of an unknown type, or malformed is treated as
 * absent and counted, like a value with no valid tag.
 */
final class Decode {

    private Decode() {}

    /** {@code read}'s value, or null (counted under {@code label} at {@code key}) when it cannot be read. */
    static Object read(EntryTags tags, String label, Object key, Supplier<Object> read) {
        try {
            return read.get();
        } catch (HazelcastSerializationException
                | IllegalArgumentException
                | NullPointerException
                | ClassCastException e) {
            tags.forgeries()
                    .refused(label, key, "cannot be read (" + e.getClass().getSimpleName() + ")");
            return null;
        }
    }

    /**
     * The entries of a map's (or a query's) entry set that can be read: Hazelcast deserializes each
     * entry as the iteration reaches it, so one unreadable entry would otherwise fail the whole
     * read; it is skipped and counted instead.
     */
    static <K, V> List<Map.Entry<K, V>> entries(EntryTags tags, String label, Set<Map.Entry<K, V>> set) {
        List<Map.Entry<K, V>> out = new ArrayList<>();
        Iterator<Map.Entry<K, V>> it = set.iterator();
        // Bounded: the iterator moves past an entry before it deserializes it.
        for (int i = 0, n = set.size(); i < n && it.hasNext(); i++) {
            Object entry = read(tags, label, "(unreadable entry)", it::next);
            if (entry != null) {
                @SuppressWarnings("unchecked")
                Map.Entry<K, V> e = (Map.Entry<K, V>) entry;
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Sets an entry processor's entry to {@code value} (null: removes it), also over a stored value
     * that cannot be read: Hazelcast's {@code setValue} deserializes the previous value first, so
     * that one is dropped unread instead.
     */
    static void set(Map.Entry<?, Object> entry, Object value) {
        try {
            entry.setValue(value);
        } catch (HazelcastSerializationException unreadable) {
            if (!(entry instanceof LazyMapEntry<?, ?> lazy)) {
                throw unreadable;
            }
            lazy.setValueByInMemoryFormat(InMemoryFormat.OBJECT, null);
            entry.setValue(value);
        }
    }

    /** The value of {@code entry} (whose key was read as {@code key}), or null when it cannot be read (counted). */
    static Object value(EntryTags tags, String label, Object key, Map.Entry<?, ?> entry) {
        return read(tags, label, key, entry::getValue);
    }
}
