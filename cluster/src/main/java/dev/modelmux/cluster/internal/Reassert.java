package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Replaces one node's copies in every entry it visits with the node's report (see
 * {@link CopyLists#reassert}). With no holdings and {@code asOfMillis = Long.MAX_VALUE} it drops the
 * node's copies: that is {@code removeNode}. Writes only entries whose content changes, and returns
 * true for those (null otherwise, so partition-wide runs return only what changed). Tagged by its
 * sender over its fields (not a key: it visits many); an entry it reads without a valid tag counts
 * as no copies, and an entry whose key is not a model version is left alone.
 */
record Reassert(String nodeId, List<Holding> holdings, long asOfMillis, Tag tag)
        implements SignedOp<Object, Object, Boolean> {

    Reassert {
        holdings = List.copyOf(holdings);
    }

    static Reassert dropNode(String nodeId) {
        return new Reassert(nodeId, List.of(), Long.MAX_VALUE, null);
    }

    /** This operation tagged by a holder of the mesh's key. */
    Reassert signedBy(EntryTags tags) {
        return new Reassert(nodeId, holdings, asOfMillis, tags.tag(signed(null)));
    }

    @Override
    public Canonical signed(Object key) {
        Canonical c = Canonical.of("op:Reassert").str(nodeId).i64(asOfMillis).i32(holdings.size());
        for (Holding h : holdings) {
            StoredCopies.copy(c.str(h.key().model()).i64(h.key().version()), h.copy());
        }
        return c;
    }

    @Override
    public boolean keyBound() {
        return false;
    }

    @Override
    public Boolean run(Map.Entry<Object, Object> entry, EntryTags tags) {
        Object rawKey = Decode.read(tags, Forgeries.PLACEMENTS, "(unreadable key)", entry::getKey);
        if (!(rawKey instanceof ModelKey key)) {
            return null;
        }
        Object raw = Decode.value(tags, Forgeries.PLACEMENTS, key, entry);
        List<Copy> current = StoredCopies.trusted(tags, key, raw);
        // A believed value is never empty: an empty one here with something stored is a forgery,
        // which this run replaces (or deletes).
        boolean forged = current.isEmpty() && raw != null;
        List<Copy> reported = new ArrayList<>();
        for (Holding h : holdings) {
            if (h.key().equals(key)) {
                reported.add(h.copy());
            }
        }
        List<Copy> next = CopyLists.reassert(current, nodeId, reported, asOfMillis);
        if ((next.equals(current) && !forged) || (next.isEmpty() && raw == null)) {
            return null; // unchanged: no write, no event, and no result to ship back
        }
        Decode.set(entry, StoredCopies.tagged(tags, key, next));
        return Boolean.TRUE;
    }

    @Override
    public Boolean refused() {
        return null;
    }
}
