package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.DocumentWrite;
import dev.modelmux.cluster.SharedDocument;
import java.util.Optional;

/**
 * What {@link DocumentOp} returns: whether it wrote, and the document after it (null: none), as
 * stored with its tag, so the caller believes it only if a holder of the key wrote it (the member
 * that ran the operation may not be one).
 */
record DocumentOutcome(boolean written, StoredDocument document) {

    /**
     * The outcome as the caller may believe it: a document without a valid tag counts as none, and a
     * write answered with one fails (nothing this node can vouch for was written).
     */
    DocumentWrite toWrite(EntryTags tags, String name, long expectedVersion) {
        SharedDocument doc = document == null ? null : StoredDocument.trusted(tags, name, document);
        if (written && doc == null) {
            throw new IllegalStateException("the member that wrote document '" + name
                    + "' answered with a version that carries no valid tag; not believed");
        }
        return written
                ? new DocumentWrite.Written(doc)
                : new DocumentWrite.Conflict(expectedVersion, Optional.ofNullable(doc));
    }
}
