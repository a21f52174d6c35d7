package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.SharedDocument;
import java.util.Map;
import java.util.Objects;

/**
 * A conditional write of one shared document, atomic on the partition that owns the name (and
 * re-run on its backup: deterministic, the writer's clock comes in {@code nowMillis}). Tagged by
 * its sender over its fields and the name ({@link SignedOp}); a stored version without a valid tag
 * counts as no document, and the version written is tagged.
 */
record DocumentOp(long expectedVersion, String text, String note, String writer, long nowMillis, Tag tag)
        implements SignedOp<String, Object, DocumentOutcome> {

    DocumentOp {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(writer, "writer");
        note = note == null ? "" : note;
    }

    /** This operation tagged for the document {@code name} by a holder of the mesh's key. */
    DocumentOp signedFor(EntryTags tags, String name) {
        return new DocumentOp(expectedVersion, text, note, writer, nowMillis, tags.tag(signed(name)));
    }

    @Override
    public Canonical signed(Object name) {
        return Canonical.of("op:DocumentOp")
                .str(HazelcastConfigs.DOCUMENTS_MAP)
                .str(String.valueOf(name))
                .i64(expectedVersion)
                .str(text)
                .str(note)
                .str(writer)
                .i64(nowMillis);
    }

    @Override
    public boolean keyBound() {
        return true;
    }

    @Override
    public DocumentOutcome run(Map.Entry<String, Object> entry, EntryTags tags) {
        SharedDocument current = StoredDocument.trusted(
                tags, entry.getKey(), Decode.value(tags, Forgeries.DOCUMENTS, entry.getKey(), entry));
        long at = current == null ? 0 : current.version();
        if (at != expectedVersion) {
            return new DocumentOutcome(false, current == null ? null : StoredDocument.tagged(tags, current));
        }
        StoredDocument next =
                StoredDocument.tagged(tags, new SharedDocument(entry.getKey(), at + 1, text, writer, nowMillis, note));
        Decode.set(entry, next);
        return new DocumentOutcome(true, next);
    }

    @Override
    public DocumentOutcome refused() {
        return new DocumentOutcome(false, null);
    }
}
