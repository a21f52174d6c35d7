package dev.modelmux.cluster.internal;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingEntry;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;
import java.util.List;

/**
 * Split-brain heal for the placement table: both sides' copies of a version are kept
 * ({@link CopyLists#union}) instead of one side's entry replacing the other's. Only copies of a
 * side whose entry carries a valid tag are kept, and the union is tagged again, so the member
 * running it must hold the key: Hazelcast instantiates the policy by class name (hence public with
 * a no-argument constructor), and this member's {@link Binder} binds it before it runs. Unbound
 * (never on a modelmux member) it keeps what is there.
 */
public final class CopyUnionMergePolicy implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {

    private final EntryTags tags;

    public CopyUnionMergePolicy() {
        this(null);
    }

    private CopyUnionMergePolicy(EntryTags tags) {
        this.tags = tags;
    }

    CopyUnionMergePolicy bound(EntryTags entryTags) {
        return new CopyUnionMergePolicy(entryTags);
    }

    @Override
    public Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
        if (tags == null) {
            return existing == null ? null : existing.getRawValue();
        }
        Object key = merging instanceof MergingEntry<?, ?> e
                ? Decode.read(tags, Forgeries.PLACEMENTS, "(merging key)", e::getKey)
                : null;
        if (!(key instanceof ModelKey modelKey)) {
            return existing == null ? null : existing.getRawValue();
        }
        List<Copy> mine = existing == null ? List.of() : side(modelKey, existing);
        List<Copy> theirs = side(modelKey, merging);
        return StoredCopies.tagged(tags, modelKey, CopyLists.union(mine, theirs));
    }

    private List<Copy> side(ModelKey key, MergingValue<Object> side) {
        return StoredCopies.trusted(
                tags, key, Decode.read(tags, Forgeries.PLACEMENTS, key, side::getDeserializedValue));
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
