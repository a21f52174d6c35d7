package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import java.util.List;
import java.util.Map;

/**
 * Removes a registry entry unless the member that published it is in {@code liveMembers} (the
 * caller's view of the member UUIDs). Deterministic, so backups reach the same result; idempotent.
 * Only ever removes, so it needs no tag: a value that is not a registry entry (or cannot be read)
 * is removed too.
 */
record RemoveUnlessLive(List<String> liveMembers) implements EntryProcessor<String, Object, Boolean> {

    RemoveUnlessLive {
        liveMembers = List.copyOf(liveMembers);
    }

    @Override
    public Boolean process(Map.Entry<String, Object> entry) {
        Object current;
        try {
            current = entry.getValue();
        } catch (RuntimeException unreadable) {
            current = unreadable;
        }
        if (current == null || current instanceof RegistryEntry e && liveMembers.contains(e.memberUuid())) {
            return false;
        }
        Decode.set(entry, null);
        return true;
    }
}
