package dev.modelmux.admin;

import dev.modelmux.placement.CopyState;
import java.util.List;
import java.util.Objects;

/**
 * The operators' read model of the mesh, as one node sees it: every node with its devices and
 * memory, and every model version's copies with their states. Lists are in the order shown (nodes by
 * id, versions by model then version).
 *
 * @param node the node answering
 * @param members the cluster's members, sorted
 */
public record MeshView(String node, List<String> members, List<Node> nodes, List<Version> versions) {
    public MeshView {
        Objects.requireNonNull(node, "node");
        members = List.copyOf(members);
        nodes = List.copyOf(nodes);
        versions = List.copyOf(versions);
    }

    /** A node's record: where its gRPC port is, whether it drains, its devices. */
    public record Node(String id, String grpc, boolean draining, long updatedAtMillis, List<Device> devices) {
        public Node {
            Objects.requireNonNull(id, "id");
            devices = List.copyOf(devices);
        }
    }

    /** A device's memory: capacity, used and reserved bytes, and the requests running on it. */
    public record Device(String id, String kind, long capacityBytes, long usedBytes, long reservedBytes, int inFlight) {
        public long freeBytes() {
            return capacityBytes - usedBytes - reservedBytes;
        }
    }

    /** The copies of one model version. */
    public record Version(String model, long version, List<Copy> copies) {
        public Version {
            Objects.requireNonNull(model, "model");
            copies = List.copyOf(copies);
        }
    }

    /**
     * One copy of a model version on a device.
     *
     * @param reason why it failed (empty otherwise)
     */
    public record Copy(
            String node,
            String device,
            CopyState state,
            long bytes,
            long lastUsedMillis,
            double requestRate,
            long sinceMillis,
            String reason) {
        public Copy {
            Objects.requireNonNull(state, "state");
            reason = reason == null ? "" : reason;
        }
    }
}
