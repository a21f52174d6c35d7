package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.NodeRecord;

/**
 * The node registry's value: the record and the Hazelcast member (UUID) that published it, so
 * survivors can tell a departed incarnation's record from a restarted node's fresh one.
 */
record RegistryEntry(NodeRecord record, String memberUuid) {}
