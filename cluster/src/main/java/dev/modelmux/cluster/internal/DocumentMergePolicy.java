package dev.modelmux.cluster.internal;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import dev.modelmux.cluster.SharedDocument;
import java.util.Comparator;

/**
 * Split-brain heal for shared documents: the higher version wins; on a tie the later write (then
 * the greater writer id, so every member picks the same). Hazelcast instantiates it by class name
 * on each member, hence public with a no-argument constructor.
 */
public final class DocumentMergePolicy
        implements SplitBrainMergePolicy<SharedDocument, MergingValue<SharedDocument>, Object> {

    private static final Comparator<SharedDocument> ORDER = Comparator.comparingLong(SharedDocument::version)
            .thenComparingLong(SharedDocument::updatedAtMillis)
            .thenComparing(SharedDocument::updatedBy)
            .thenComparing(SharedDocument::text);

    public DocumentMergePolicy() {}

    @Override
    public Object merge(MergingValue<SharedDocument> merging, MergingValue<SharedDocument> existing) {
        if (existing == null) {
            return merging.getRawValue();
        }
        SharedDocument winner = winner(existing.getDeserializedValue(), merging.getDeserializedValue());
        return winner == existing.getDeserializedValue() ? existing.getRawValue() : merging.getRawValue();
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
        // stateless
    }

    @Override
    public void readData(ObjectDataInput in) {
        // stateless
    }
}
