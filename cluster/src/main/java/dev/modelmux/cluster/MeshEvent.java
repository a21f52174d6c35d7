package dev.modelmux.cluster;

import java.util.Objects;

/**
 * One entry of the mesh's event timeline: something that happened to a model copy, a node or an
 * operator's setting, on one node. Published once by the node where it happened (or, for a node
 * that left, by the survivor that leads), and read by every node's admin UI.
 *
 * @param atMillis  when it happened (epoch millis, the publishing node's clock)
 * @param nodeId    the node it happened on (for joins and leaves, the node that joined or left)
 * @param deviceId  the device, or empty
 * @param model     the model, or empty
 * @param version   the model version, or 0
 * @param bytes     memory involved (measured on load, freed on eviction), or 0
 * @param millis    how long it took (a load), or 0
 * @param actor     who asked for it: {@code admin} for an operator's action, {@code mesh} otherwise
 * @param detail    a reason or a short note for people, or empty; never a credential or a path
 */
public record MeshEvent(
        long atMillis,
        Kind kind,
        String nodeId,
        String deviceId,
        String model,
        long version,
        long bytes,
        long millis,
        String actor,
        String detail) {

    /** What happened. */
    public enum Kind {
        /** A copy finished loading and is READY. */
        LOADED,
        /** A load failed; {@code detail} says why. */
        LOAD_FAILED,
        /** A copy was removed to make room for another model. */
        EVICTED,
        /** A copy was unloaded on request (operator, placement, retirement). */
        UNLOADED,
        /** A node joined the mesh. */
        JOINED,
        /** A node left the mesh or was detected as gone. */
        LEFT,
        /** An operator asked for a load of a model. */
        LOAD_REQUESTED,
        /** An operator asked for a model to be unloaded everywhere (or on one node). */
        UNLOAD_REQUESTED,
        /** A model was pinned: never evicted, always kept somewhere. */
        PINNED,
        /** A model's runtime pin was removed. */
        UNPINNED,
        /** A node was flagged draining: its copies move elsewhere, it takes no new ones. */
        DRAIN,
        /** A node's draining flag was cleared. */
        UNDRAIN,
        /** The controller moved a copy (drain or rebalance): loaded elsewhere, then unloaded here. */
        MOVED
    }

    public static final String ACTOR_ADMIN = "admin";
    public static final String ACTOR_MESH = "mesh";
    /** Longest {@code detail} kept; longer ones are cut (an event is a note, not a log). */
    public static final int MAX_DETAIL = 512;

    public MeshEvent {
        Objects.requireNonNull(kind, "kind");
        nodeId = nodeId == null ? "" : nodeId;
        deviceId = deviceId == null ? "" : deviceId;
        model = model == null ? "" : model;
        actor = actor == null || actor.isEmpty() ? ACTOR_MESH : actor;
        detail = detail == null ? "" : detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) : detail;
    }

    /** An event about a node (join, leave, drain). */
    public static MeshEvent node(long atMillis, Kind kind, String nodeId, String actor, String detail) {
        return new MeshEvent(atMillis, kind, nodeId, "", "", 0, 0, 0, actor, detail);
    }

    /** An event about a model version on a device of a node. */
    public static MeshEvent model(
            long atMillis,
            Kind kind,
            String nodeId,
            String deviceId,
            String model,
            long version,
            long bytes,
            long millis,
            String actor,
            String detail) {
        return new MeshEvent(atMillis, kind, nodeId, deviceId, model, version, bytes, millis, actor, detail);
    }
}
