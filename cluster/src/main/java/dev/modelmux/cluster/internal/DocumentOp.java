package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import dev.modelmux.cluster.SharedDocument;
import java.util.Map;
import java.util.Objects;

/**
 * A conditional write of one shared document, atomic on the partition that owns the name (and
 * re-run on its backup: deterministic, the writer's clock comes in {@code nowMillis}).
 */
record DocumentOp(long expectedVersion, String text, String note, String writer, long nowMillis)
        implements EntryProcessor<String, SharedDocument, DocumentOutcome> {

    DocumentOp {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(writer, "writer");
        note = note == null ? "" : note;
    }

    @Override
    public DocumentOutcome process(Map.Entry<String, SharedDocument> entry) {
        SharedDocument current = entry.getValue();
        long at = current == null ? 0 : current.version();
        if (at != expectedVersion) {
            return new DocumentOutcome(false, current);
        }
        SharedDocument next = new SharedDocument(entry.getKey(), at + 1, text, writer, nowMillis, note);
        entry.setValue(next);
        return new DocumentOutcome(true, next);
    }
}
