package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Replaces one node's copies in every entry it visits with the node's report (see
 * {@link CopyLists#reassert}). With no holdings and {@code asOfMillis = Long.MAX_VALUE} it drops the
 * node's copies: that is {@code removeNode}. Writes only entries whose content changes, and returns
 * true for those (null otherwise, so partition-wide runs return only what changed).
 */
record Reassert(String nodeId, List<Holding> holdings, long asOfMillis)
        implements EntryProcessor<ModelKey, StoredCopies, Boolean> {

    Reassert {
        holdings = List.copyOf(holdings);
    }

    static Reassert dropNode(String nodeId) {
        return new Reassert(nodeId, List.of(), Long.MAX_VALUE);
    }

    @Override
    public Boolean process(Map.Entry<ModelKey, StoredCopies> entry) {
        List<Copy> current = StoredCopies.of(entry.getValue());
        List<Copy> reported = new ArrayList<>();
        for (Holding h : holdings) {
            if (h.key().equals(entry.getKey())) {
                reported.add(h.copy());
            }
        }
        List<Copy> next = CopyLists.reassert(current, nodeId, reported, asOfMillis);
        if (next.equals(current)) {
            return null; // unchanged: no write, no event, and no result to ship back
        }
        entry.setValue(StoredCopies.orNull(next));
        return Boolean.TRUE;
    }
}
