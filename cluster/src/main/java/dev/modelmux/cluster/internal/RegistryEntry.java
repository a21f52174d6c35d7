package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.NodeRecord;

/**
 * The node registry's value: the record and the Hazelcast member (UUID) that published it, so
 * survivors can tell a departed incarnation's record from a restarted node's fresh one; tagged by
 * the publishing node over both and the key.
 */
record RegistryEntry(NodeRecord record, String memberUuid, Tag tag) {

    static RegistryEntry tagged(EntryTags tags, NodeRecord record, String memberUuid) {
        return new RegistryEntry(record, memberUuid, tags.tag(content(record.nodeId(), record, memberUuid)));
    }

    /** The record at {@code key} if {@code raw} is a registry entry tagged for it, else null (counted). */
    static NodeRecord trusted(EntryTags tags, Object key, Object raw) {
        RegistryEntry e = tags.trusted(
                Forgeries.NODES,
                key,
                raw,
                RegistryEntry.class,
                v -> content(key, v.record, v.memberUuid),
                RegistryEntry::tag);
        return e == null || !e.record.nodeId().equals(key) ? null : e.record;
    }

    static Canonical content(Object key, NodeRecord r, String memberUuid) {
        Canonical c = Canonical.of(HazelcastConfigs.NODES_MAP)
                .str(String.valueOf(key))
                .str(r.nodeId())
                .str(r.grpcHost())
                .i32(r.grpcPort())
                .i32(r.devices().size());
        for (DeviceRecord d : r.devices()) {
            c.str(d.deviceId())
                    .str(d.kind())
                    .i64(d.capacityBytes())
                    .i64(d.usedBytes())
                    .i64(d.reservedBytes())
                    .i32(d.inFlight());
        }
        return c.bool(r.draining()).i64(r.updatedAtMillis()).str(memberUuid);
    }
}
