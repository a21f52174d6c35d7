package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * An entry processor of the mesh that changes shared state: it carries a tag made by its sender
 * with the mesh's key, and runs only on a member that holds the key too. A modelmux member's
 * {@link Binder} wraps every one it is asked to run in a {@link BoundOp}, which checks the tag and
 * hands the key over; a member without the key (or a refused tag) runs nothing. So a process that
 * reached the cluster cannot have a member write, and tag, state on its behalf.
 */
interface SignedOp<K, V, R> extends EntryProcessor<K, V, R> {

    Tag tag();

    /** The bytes the sender tagged; includes {@code key} when {@link #keyBound()}. */
    Canonical signed(Object key);

    /** Whether the tag covers the entry's key (a single-key operation), so it cannot be replayed on another. */
    boolean keyBound();

    /** Runs on a member with the key, after the tag verified. */
    R run(Map.Entry<K, V> entry, EntryTags tags);

    /** The result of a refused run (nothing changed). */
    R refused();

    /** Without a {@link Binder} (a member of something else than the mesh) nothing runs. */
    @Override
    default R process(Map.Entry<K, V> entry) {
        throw new IllegalStateException("a modelmux operation runs only on a member of the mesh");
    }
}
