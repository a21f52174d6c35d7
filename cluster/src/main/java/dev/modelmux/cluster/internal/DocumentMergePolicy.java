package dev.modelmux.cluster.internal;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingEntry;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import dev.modelmux.cluster.SharedDocument;
import java.util.Comparator;

/**
 * Split-brain heal for shared documents: the higher version wins; on a tie the later write (then
 * the greater writer id, so every member picks the same). A side whose version carries no valid
 * tag counts as absent. Hazelcast instantiates it by class name on each member, hence public with
 * a no-argument constructor; this member's {@link Binder} binds it to the key before it runs.
 * Unbound (never on a modelmux member) it keeps what is there.
 */
public final class DocumentMergePolicy implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {

    private static final Comparator<SharedDocument> ORDER = Comparator.comparingLong(SharedDocument::version)
            .thenComparingLong(SharedDocument::updatedAtMillis)
            .thenComparing(SharedDocument::updatedBy)
            .thenComparing(SharedDocument::text);

    private final EntryTags tags;

    public DocumentMergePolicy() {
        this(null);
    }

    private DocumentMergePolicy(EntryTags tags) {
        this.tags = tags;
    }

    DocumentMergePolicy bound(EntryTags entryTags) {
        return new DocumentMergePolicy(entryTags);
    }

    @Override
    public Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
        if (tags == null) {
            return existing == null ? null : existing.getRawValue();
        }
        Object name = merging instanceof MergingEntry<?, ?> e
                ? Decode.read(tags, Forgeries.DOCUMENTS, "(merging key)", e::getKey)
                : null;
        SharedDocument mine = existing == null ? null : side(name, existing);
        SharedDocument theirs = side(name, merging);
        SharedDocument winner = winner(mine, theirs);
        if (winner == null) {
            return null;
        }
        return winner == mine ? existing.getRawValue() : merging.getRawValue();
    }

    private SharedDocument side(Object name, MergingValue<Object> side) {
        return StoredDocument.trusted(
                tags, name, Decode.read(tags, Forgeries.DOCUMENTS, name, side::getDeserializedValue));
    }

    /** The version both sides keep: one of the two arguments. */
    static SharedDocument winner(SharedDocument a, SharedDocument b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return ORDER.compare(a, b) >= 0 ? a : b;
    }

    @Override
    public void writeData(ObjectDataOutput out) {
        // stateless: the key is this member's, bound on arrival
    }

    @Override
    public void readData(ObjectDataInput in) {
        // stateless
    }
}
