package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Removes a registry entry only if the member {@code memberUuid} published it: the cleanup after a
 * departed member removes that member's record and never a restarted run's, whether the new run
 * joined before or after the departure was seen. Deterministic, so backups reach the same result;
 * idempotent. Only ever removes, so it needs no tag: a value under the departed node's id that is
 * not a registry entry (or cannot be read) is removed too.
 */
record RemoveIfPublishedBy(String memberUuid) implements EntryProcessor<String, Object, Boolean> {

    @Override
    public Boolean process(Map.Entry<String, Object> entry) {
        Object current;
        try {
            current = entry.getValue();
        } catch (RuntimeException unreadable) {
            current = unreadable;
        }
        if (current == null
                || current instanceof RegistryEntry e && !e.memberUuid().equals(memberUuid)) {
            return false;
        }
        Decode.set(entry, null);
        return true;
    }
}
