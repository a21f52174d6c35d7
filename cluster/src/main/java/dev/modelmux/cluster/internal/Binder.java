package dev.modelmux.cluster.internal;

import com.hazelcast.core.ManagedContext;

/**
 * This member's hook into Hazelcast: every object Hazelcast deserializes, and every entry
 * processor and merge policy before it runs, passes through here. The mesh's operations get the
 * member's {@link EntryTags} (after their own tag verified, see {@link BoundOp}); so do its merge
 * policies, which must tag what they merge.
 */
final class Binder implements ManagedContext {

    private final EntryTags tags;

    Binder(EntryTags tags) {
        this.tags = tags;
    }

    @Override
    public Object initialize(Object obj) {
        if (obj instanceof SignedOp<?, ?, ?> op) {
            return bind(op);
        }
        if (obj instanceof CopyUnionMergePolicy p) {
            return p.bound(tags);
        }
        if (obj instanceof DocumentMergePolicy p) {
            return p.bound(tags);
        }
        return obj;
    }

    private <K, V, R> BoundOp<K, V, R> bind(SignedOp<K, V, R> op) {
        return new BoundOp<>(op, tags);
    }
}
