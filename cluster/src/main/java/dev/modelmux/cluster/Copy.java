package dev.modelmux.cluster;

import java.util.Comparator;
import java.util.Objects;

/**
 * One copy of a model version on one device of one node. A copy is identified, within its model
 * version, by {@code (nodeId, deviceId)}: a device holds at most one copy of a version.
 *
 * @param reason           why the copy FAILED; empty otherwise
 * @param bytes            memory the copy takes: predicted while LOADING, measured once READY
 * @param lastUsedMillis   last request served, as reported by {@code touch}
 * @param requestRate      requests per second, as last reported by {@code touch}
 * @param stateSinceMillis when the copy entered its current state (a churn guard reads this)
 * @param version          per-copy update counter: every change to the copy increments it
 */
public record Copy(
        String nodeId,
        String deviceId,
        State state,
        String reason,
        long bytes,
        long lastUsedMillis,
        double requestRate,
        long stateSinceMillis,
        long version) {

    /** Lifecycle of a copy: LOADING → READY → UNLOADING → removed; any state → FAILED → removed or claimed again. */
    public enum State {
        /** Claimed; the node is loading it. Its bytes are reserved on the device. */
        LOADING,
        /** Serving requests. */
        READY,
        /** Being unloaded; its memory is still taken until the copy is removed. */
        UNLOADING,
        /** Load or session failed; kept with the reason until removed, so callers can back off. */
        FAILED
    }

    /** Orders copies in a table entry: by node, then device. */
    public static final Comparator<Copy> BY_PLACE =
            Comparator.comparing(Copy::nodeId).thenComparing(Copy::deviceId);

    public Copy {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(state, "state");
        reason = reason == null ? "" : reason;
        if (bytes < 0 || version < 0 || !(requestRate >= 0) || Double.isInfinite(requestRate)) {
            throw new IllegalArgumentException(
                    "copy " + nodeId + "/" + deviceId + ": bytes, version and request rate must be finite and >= 0");
        }
    }

    /** A fresh claim: LOADING with the predicted size, at {@code nowMillis}. */
    public static Copy loading(String nodeId, String deviceId, long bytes, long nowMillis) {
        return new Copy(nodeId, deviceId, State.LOADING, "", bytes, nowMillis, 0, nowMillis, 1);
    }

    /** A copy a node reports as serving (for {@code reassert}); the table assigns the version. */
    public static Copy ready(
            String nodeId, String deviceId, long bytes, long lastUsedMillis, double requestRate, long sinceMillis) {
        return new Copy(nodeId, deviceId, State.READY, "", bytes, lastUsedMillis, requestRate, sinceMillis, 0);
    }

    public boolean isAt(String node, String device) {
        return nodeId.equals(node) && deviceId.equals(device);
    }

    /** LOADING or READY: the copy is, or is about to be, able to serve. */
    public boolean isLive() {
        return state == State.LOADING || state == State.READY;
    }

    /** Equal in everything but the update counter. */
    public boolean sameContentAs(Copy other) {
        return withVersion(0).equals(other.withVersion(0));
    }

    public Copy withVersion(long v) {
        return new Copy(nodeId, deviceId, state, reason, bytes, lastUsedMillis, requestRate, stateSinceMillis, v);
    }

    /** The copy in a new state since {@code nowMillis}, with its counter incremented. */
    public Copy inState(State next, String why, long newBytes, long nowMillis) {
        return new Copy(nodeId, deviceId, next, why, newBytes, lastUsedMillis, requestRate, nowMillis, version + 1);
    }

    /** The copy with usage folded in (last use only moves forward), counter incremented. */
    public Copy touched(long usedMillis, double rate) {
        return new Copy(
                nodeId,
                deviceId,
                state,
                reason,
                bytes,
                Math.max(lastUsedMillis, usedMillis),
                rate,
                stateSinceMillis,
                version + 1);
    }
}
