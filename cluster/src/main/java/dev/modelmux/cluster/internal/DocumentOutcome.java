package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.DocumentWrite;
import dev.modelmux.cluster.SharedDocument;
import java.util.Optional;

/** What {@link DocumentOp} returns: whether it wrote, and the document after it (null: none). */
record DocumentOutcome(boolean written, SharedDocument document) {

    DocumentWrite toWrite(long expectedVersion) {
        return written
                ? new DocumentWrite.Written(document)
                : new DocumentWrite.Conflict(expectedVersion, Optional.ofNullable(document));
    }
}
