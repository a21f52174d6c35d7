package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import java.util.Map;

/**
 * Removes a registry entry only if the member {@code memberUuid} published it: the cleanup after a
 * departed member removes that member's record and never a restarted run's, whether the new run
 * joined before or after the departure was seen. Deterministic, so backups reach the same result;
 * idempotent.
 */
record RemoveIfPublishedBy(String memberUuid) implements EntryProcessor<String, RegistryEntry, Boolean> {

    @Override
    public Boolean process(Map.Entry<String, RegistryEntry> entry) {
        RegistryEntry current = entry.getValue();
        if (current == null || !current.memberUuid().equals(memberUuid)) {
            return false;
        }
        entry.setValue(null);
        return true;
    }
}
