package dev.modelmux.placement;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * One member of the cluster as the cluster last saw it.
 *
 * @param draining the node is leaving: nothing new is placed on it
 * @param devices its devices, ids unique within the node
 */
public record NodeView(String nodeId, boolean draining, List<DeviceView> devices) {

    public NodeView {
        Objects.requireNonNull(nodeId, "nodeId");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("nodeId must not be blank");
        }
        devices = List.copyOf(devices);
        var ids = new HashSet<String>();
        for (DeviceView d : devices) {
            if (!ids.add(d.deviceId())) {
                throw new IllegalArgumentException("node " + nodeId + " lists device " + d.deviceId() + " twice");
            }
        }
    }

    public static NodeView of(String nodeId, DeviceView... devices) {
        return new NodeView(nodeId, false, List.of(devices));
    }

    public NodeView draining(boolean value) {
        return new NodeView(nodeId, value, devices);
    }
}
