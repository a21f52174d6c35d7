package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;
import java.util.List;

/**
 * The placement map's value: one version's copies, sorted by place, tagged over them and the
 * version's key by the member that wrote them (the partition's owner, running a {@link SignedOp}).
 * Never empty in the map.
 */
record StoredCopies(List<Copy> copies, Tag tag) {

    StoredCopies {
        copies = CopyLists.sorted(copies);
    }

    /** The value to store for {@code copies} at {@code key}: null (delete the entry) when there are none. */
    static StoredCopies tagged(EntryTags tags, ModelKey key, List<Copy> copies) {
        if (copies.isEmpty()) {
            return null;
        }
        List<Copy> sorted = CopyLists.sorted(copies);
        return new StoredCopies(sorted, tags.tag(content(key, sorted)));
    }

    /** The copies at {@code key} if {@code raw} is a value tagged for it, else none (a forgery is counted). */
    static List<Copy> trusted(EntryTags tags, Object key, Object raw) {
        StoredCopies s = tags.trusted(
                Forgeries.PLACEMENTS, key, raw, StoredCopies.class, v -> content(key, v.copies), StoredCopies::tag);
        return s == null ? List.of() : s.copies;
    }

    static Canonical content(Object key, List<Copy> copies) {
        Canonical c = Canonical.of(HazelcastConfigs.PLACEMENTS_MAP);
        if (key instanceof ModelKey k) {
            c.str(k.model()).i64(k.version());
        } else {
            c.str(null).str(String.valueOf(key));
        }
        c.i32(copies.size());
        for (Copy copy : copies) {
            copy(c, copy);
        }
        return c;
    }

    static Canonical copy(Canonical c, Copy copy) {
        return c.str(copy.nodeId())
                .str(copy.deviceId())
                .str(copy.state().name())
                .str(copy.reason())
                .i64(copy.bytes())
                .i64(copy.lastUsedMillis())
                .f64(copy.requestRate())
                .i64(copy.stateSinceMillis())
                .i64(copy.version());
    }
}
