package dev.modelmux.cluster;

import java.util.Optional;

/** The outcome of a conditional write to {@link SharedDocuments}: written, or refused on a version conflict. */
public sealed interface DocumentWrite permits DocumentWrite.Written, DocumentWrite.Conflict {

    /** Whether the write happened. */
    default boolean written() {
        return this instanceof Written;
    }

    /** The write happened; {@code document} is the new version as stored. */
    record Written(SharedDocument document) implements DocumentWrite {}

    /**
     * Nothing was written: the document was not at {@code expectedVersion} (0: expected absent).
     *
     * @param current the document as it is now; empty when there is none
     */
    record Conflict(long expectedVersion, Optional<SharedDocument> current) implements DocumentWrite {

        /** The version the document is at now; 0 when there is none. */
        public long currentVersion() {
            return current.map(SharedDocument::version).orElse(0L);
        }
    }
}
