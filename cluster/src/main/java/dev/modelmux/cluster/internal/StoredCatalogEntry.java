package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.ModelKey;

/** The catalog's value: sizes and load costs of a version, tagged over them and the version's key. */
record StoredCatalogEntry(CatalogEntry entry, Tag tag) {

    static StoredCatalogEntry tagged(EntryTags tags, ModelKey key, CatalogEntry entry) {
        return new StoredCatalogEntry(entry, tags.tag(content(key, entry)));
    }

    /** The entry at {@code key} if {@code raw} is one tagged for it, else null (counted). */
    static CatalogEntry trusted(EntryTags tags, Object key, Object raw) {
        StoredCatalogEntry s = tags.trusted(
                Forgeries.CATALOG,
                key,
                raw,
                StoredCatalogEntry.class,
                v -> content(key, v.entry),
                StoredCatalogEntry::tag);
        return s == null ? null : s.entry;
    }

    static Canonical content(Object key, CatalogEntry e) {
        Canonical c = Canonical.of(HazelcastConfigs.CATALOG_MAP);
        if (key instanceof ModelKey k) {
            c.str(k.model()).i64(k.version());
        } else {
            c.str(null).str(String.valueOf(key));
        }
        return c.i64(e.predictedBytes())
                .i64(e.measuredBytes())
                .i64(e.loadMillisTotal())
                .i64(e.samples());
    }
}
