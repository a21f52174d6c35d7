package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.Copy;
import java.util.List;

/** The placement map's value: one version's copies, sorted by place. Never empty in the map. */
record StoredCopies(List<Copy> copies) {

    StoredCopies {
        copies = CopyLists.sorted(copies);
    }

    static List<Copy> of(StoredCopies stored) {
        return stored == null ? List.of() : stored.copies();
    }

    /** The value to store for {@code copies}: null (delete the entry) when there are none. */
    static StoredCopies orNull(List<Copy> copies) {
        return copies.isEmpty() ? null : new StoredCopies(copies);
    }
}
