package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.ModelKey;
import java.util.Map;
import java.util.Objects;

/** One catalog update, atomic on the owning partition; returns the entry after it. */
record CatalogOp(Kind kind, long bytes, long loadMillis)
        implements EntryProcessor<ModelKey, CatalogEntry, CatalogEntry> {

    enum Kind {
        PREDICT,
        MEASURE
    }

    CatalogOp {
        Objects.requireNonNull(kind, "kind");
    }

    @Override
    public CatalogEntry process(Map.Entry<ModelKey, CatalogEntry> entry) {
        CatalogEntry next = apply(entry.getValue());
        entry.setValue(next);
        return next;
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
