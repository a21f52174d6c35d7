package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import java.util.List;
import java.util.Map;

/**
 * Removes a registry entry unless the member that published it is in {@code liveMembers} (the
 * caller's view of the member UUIDs). Deterministic, so backups reach the same result; idempotent.
 */
record RemoveUnlessLive(List<String> liveMembers) implements EntryProcessor<String, RegistryEntry, Boolean> {

    RemoveUnlessLive {
        liveMembers = List.copyOf(liveMembers);
    }

    @Override
    public Boolean process(Map.Entry<String, RegistryEntry> entry) {
        RegistryEntry current = entry.getValue();
        if (current == null || liveMembers.contains(current.memberUuid())) {
            return false;
        }
        entry.setValue(null);
        return true;
    }
}
