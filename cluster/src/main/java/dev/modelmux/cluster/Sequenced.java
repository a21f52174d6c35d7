package dev.modelmux.cluster;

/**
 * An event with its position in the mesh's timeline: sequence numbers grow by one per event,
 * cluster-wide, so a reader resumes after the last one it saw.
 */
public record Sequenced(long seq, MeshEvent event) {}
