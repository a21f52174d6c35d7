package dev.modelmux.cluster.internal;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

/**
 * Split-brain heal for the placement table: both sides' copies of a version are kept
 * ({@link CopyLists#union}) instead of one side's entry replacing the other's. Hazelcast
 * instantiates it by class name on each member, hence public with a no-argument constructor.
 */
public final class CopyUnionMergePolicy
        implements SplitBrainMergePolicy<StoredCopies, MergingValue<StoredCopies>, Object> {

    public CopyUnionMergePolicy() {}

    @Override
    public Object merge(MergingValue<StoredCopies> merging, MergingValue<StoredCopies> existing) {
        if (existing == null) {
            return merging.getRawValue();
        }
        StoredCopies mine = existing.getDeserializedValue();
        StoredCopies theirs = merging.getDeserializedValue();
        return StoredCopies.orNull(CopyLists.union(StoredCopies.of(mine), StoredCopies.of(theirs)));
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
