package dev.modelmux.cluster;

import java.util.List;
import java.util.Objects;

/**
 * What a node publishes about itself: where to reach its gRPC endpoint (for forwarded requests),
 * its devices, and whether it is draining (takes no new copies).
 */
public record NodeRecord(
        String nodeId,
        String grpcHost,
        int grpcPort,
        List<DeviceRecord> devices,
        boolean draining,
        long updatedAtMillis) {

    public NodeRecord {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(grpcHost, "grpcHost");
        devices = List.copyOf(devices);
        if (grpcPort < 0 || grpcPort > 65535) {
            throw new IllegalArgumentException("node " + nodeId + ": gRPC port " + grpcPort + " out of range");
        }
    }
}
