package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.SharedDocument;

/** The documents map's value: one version of a document, tagged over it and its name. */
record StoredDocument(SharedDocument document, Tag tag) {

    static StoredDocument tagged(EntryTags tags, SharedDocument doc) {
        return new StoredDocument(doc, tags.tag(content(doc.name(), doc)));
    }

    /** The document at {@code name} if {@code raw} is one tagged for it, else null (counted). */
    static SharedDocument trusted(EntryTags tags, Object name, Object raw) {
        StoredDocument s = tags.trusted(
                Forgeries.DOCUMENTS,
                name,
                raw,
                StoredDocument.class,
                v -> content(name, v.document),
                StoredDocument::tag);
        return s == null || !s.document.name().equals(name) ? null : s.document;
    }

    static Canonical content(Object name, SharedDocument d) {
        return Canonical.of(HazelcastConfigs.DOCUMENTS_MAP)
                .str(String.valueOf(name))
                .str(d.name())
                .i64(d.version())
                .str(d.text())
                .str(d.updatedBy())
                .i64(d.updatedAtMillis())
                .str(d.note());
    }
}
