package dev.modelmux.placement;

import java.util.Objects;

/**
 * One copy of a model on one device, as the placement table last recorded it.
 *
 * @param bytes memory the copy holds on its device (measured once loaded)
 * @param inFlight requests running or queued on this copy
 * @param loadedAtNanos when the load finished (or started, while LOADING), on the caller's clock
 * @param lastUsedNanos when the copy last served a request (its load time if never)
 * @param requestRate requests per second over a recent window
 * @param useCount requests served since the copy was loaded
 */
public record CopyView(
        ModelKey key,
        String nodeId,
        String deviceId,
        CopyState state,
        long bytes,
        int inFlight,
        long loadedAtNanos,
        long lastUsedNanos,
        double requestRate,
        long useCount) {

    public CopyView {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(deviceId, "deviceId");
        Objects.requireNonNull(state, "state");
        if (bytes < 0 || inFlight < 0 || useCount < 0) {
            throw new IllegalArgumentException("copy of " + key + " on " + nodeId + "/" + deviceId
                    + ": bytes, inFlight and useCount must be >= 0");
        }
        if (!(requestRate >= 0) || Double.isInfinite(requestRate)) {
            throw new IllegalArgumentException(
                    "copy of " + key + ": requestRate must be finite and >= 0, was " + requestRate);
        }
    }

    /** An idle READY copy, loaded and last used at {@code atNanos}. */
    public static CopyView ready(ModelKey key, String nodeId, String deviceId, long bytes, long atNanos) {
        return new CopyView(key, nodeId, deviceId, CopyState.READY, bytes, 0, atNanos, atNanos, 0, 0);
    }

    public Target target() {
        return new Target(nodeId, deviceId);
    }

    public boolean isReady() {
        return state == CopyState.READY;
    }

    public CopyView withState(CopyState value) {
        return new CopyView(
                key, nodeId, deviceId, value, bytes, inFlight, loadedAtNanos, lastUsedNanos, requestRate, useCount);
    }

    public CopyView withUse(long lastUsedNanos, long useCount, double requestRate) {
        return new CopyView(
                key, nodeId, deviceId, state, bytes, inFlight, loadedAtNanos, lastUsedNanos, requestRate, useCount);
    }

    public CopyView withInFlight(int value) {
        return new CopyView(
                key, nodeId, deviceId, state, bytes, value, loadedAtNanos, lastUsedNanos, requestRate, useCount);
    }
}
