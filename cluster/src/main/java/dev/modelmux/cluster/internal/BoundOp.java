package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * A {@link SignedOp} as this member runs it: verifies the sender's tag first (once per operation
 * when the tag does not cover the key, per entry when it does), and refuses, counted, when it does
 * not verify. The backup replica gets the bare operation, which its own {@link Binder} binds again.
 */
final class BoundOp<K, V, R> implements EntryProcessor<K, V, R> {

    private final SignedOp<K, V, R> op;
    private final EntryTags tags;
    private volatile Boolean verified; // only for ops whose tag does not cover the key

    BoundOp(SignedOp<K, V, R> op, EntryTags tags) {
        this.op = op;
        this.tags = tags;
    }

    SignedOp<K, V, R> op() {
        return op;
    }

    @Override
    public R process(Map.Entry<K, V> entry) {
        Object key = entry.getKey();
        if (!verified(key)) {
            tags.forgeries()
                    .refused(
                            Forgeries.OPERATIONS,
                            op.getClass().getSimpleName() + (op.keyBound() ? " on " + key : ""),
                            "was asked to run with no valid tag");
            return op.refused();
        }
        return op.run(entry, tags);
    }

    private boolean verified(Object key) {
        if (op.keyBound()) {
            return tags.verify(op.signed(key), op.tag());
        }
        if (verified == null) {
            verified = tags.verify(op.signed(null), op.tag());
        }
        return verified;
    }

    @Override
    public EntryProcessor<K, V, R> getBackupProcessor() {
        return op;
    }
}
