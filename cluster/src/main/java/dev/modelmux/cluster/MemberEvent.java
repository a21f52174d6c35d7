package dev.modelmux.cluster;

/** A change of cluster membership, seen from this node. */
public sealed interface MemberEvent {

    /** The node that joined, left, or merged. */
    String nodeId();

    /** A member carrying {@code nodeId} joined. */
    record Joined(String nodeId) implements MemberEvent {}

    /**
     * A member carrying {@code nodeId} left (gracefully or detected as failed). Survivors have
     * already started removing its node record and copies.
     */
    record Left(String nodeId) implements MemberEvent {}

    /**
     * This node ({@code nodeId} is the local id) merged into another cluster after a split brain:
     * its view of the shared state may have been replaced, so it should publish and reassert now.
     */
    record Merged(String nodeId) implements MemberEvent {}
}
