package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.MeshEvent;

/** One entry of the timeline as stored: the event and its writer's tag over it. */
record StoredEvent(MeshEvent event, Tag tag) {

    static StoredEvent tagged(EntryTags tags, MeshEvent event) {
        return new StoredEvent(event, tags.tag(content(event)));
    }

    /** The event if {@code raw} is one tagged by a holder of the key, else null (counted). */
    static MeshEvent trusted(EntryTags tags, Object raw) {
        StoredEvent s = tags.trusted(
                Forgeries.EVENTS, "timeline", raw, StoredEvent.class, v -> content(v.event), StoredEvent::tag);
        return s == null ? null : s.event;
    }

    static Canonical content(MeshEvent e) {
        return Canonical.of(HazelcastOperatorState.EVENTS_RINGBUFFER)
                .i64(e.atMillis())
                .str(e.kind().name())
                .str(e.nodeId())
                .str(e.deviceId())
                .str(e.model())
                .i64(e.version())
                .i64(e.bytes())
                .i64(e.millis())
                .str(e.actor())
                .str(e.detail());
    }
}
