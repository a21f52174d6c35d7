package dev.modelmux.placement;

import java.util.Comparator;
import java.util.Objects;

/** A device on a node: where a copy goes or lives. */
public record Target(String nodeId, String deviceId) implements Comparable<Target> {
    private static final Comparator<Target> ORDER =
            Comparator.comparing(Target::nodeId).thenComparing(Target::deviceId);

    public Target {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(deviceId, "deviceId");
    }

    public static Target of(String nodeId, String deviceId) {
        return new Target(nodeId, deviceId);
    }

    @Override
    public int compareTo(Target other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return nodeId + "/" + deviceId;
    }
}
