package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.ModelKey;
import java.util.Map;
import java.util.Objects;

/**
 * One catalog update, atomic on the owning partition; returns the entry after it, as stored with
 * its tag. Tagged by its sender over its fields and the version's key ({@link SignedOp}); a stored
 * entry without a valid tag counts as none.
 */
record CatalogOp(Kind kind, long bytes, long loadMillis, Tag tag)
        implements SignedOp<Object, Object, StoredCatalogEntry> {

    enum Kind {
        PREDICT,
        MEASURE
    }

    CatalogOp {
        Objects.requireNonNull(kind, "kind");
    }

    /** Not signed yet: see {@link #signedFor}. */
    CatalogOp(Kind kind, long bytes, long loadMillis) {
        this(kind, bytes, loadMillis, null);
    }

    /** This operation tagged for {@code key} by a holder of the mesh's key. */
    CatalogOp signedFor(EntryTags tags, ModelKey key) {
        return new CatalogOp(kind, bytes, loadMillis, tags.tag(signed(key)));
    }

    @Override
    public Canonical signed(Object key) {
        return StoredCatalogEntry.content(key, CatalogEntry.predicted(CatalogEntry.UNKNOWN))
                .str("op:CatalogOp")
                .str(kind.name())
                .i64(bytes)
                .i64(loadMillis);
    }

    @Override
    public boolean keyBound() {
        return true;
    }

    @Override
    public StoredCatalogEntry run(Map.Entry<Object, Object> entry, EntryTags tags) {
        ModelKey key = (ModelKey) entry.getKey();
        CatalogEntry current = StoredCatalogEntry.trusted(tags, key, Decode.value(tags, Forgeries.CATALOG, key, entry));
        StoredCatalogEntry next = StoredCatalogEntry.tagged(tags, key, apply(current));
        Decode.set(entry, next);
        return next;
    }

    @Override
    public StoredCatalogEntry refused() {
        return null;
    }

    CatalogEntry apply(CatalogEntry current) {
        CatalogEntry e = current == null ? CatalogEntry.predicted(CatalogEntry.UNKNOWN) : current;
        return switch (kind) {
            case PREDICT -> new CatalogEntry(bytes, e.measuredBytes(), e.loadMillisTotal(), e.samples());
            case MEASURE ->
                new CatalogEntry(
                        e.predictedBytes(),
                        Math.max(e.measuredBytes(), bytes),
                        e.loadMillisTotal() + loadMillis,
                        e.samples() + 1);
        };
    }
}
