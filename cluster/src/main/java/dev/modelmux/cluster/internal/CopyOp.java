package dev.modelmux.cluster.internal;

import com.hazelcast.map.EntryProcessor;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.Copy.State;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.internal.CopyLists.Outcome;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One change to one copy, run atomically on the partition that owns the version (and re-run on its
 * backups: it is deterministic, time comes in {@code nowMillis}). Returns whether it applied.
 */
record CopyOp(
        Kind kind,
        String nodeId,
        String deviceId,
        long bytes,
        String reason,
        long lastUsedMillis,
        double requestRate,
        long nowMillis)
        implements EntryProcessor<ModelKey, StoredCopies, Boolean> {

    enum Kind {
        CLAIM,
        CLAIM_FIRST,
        READY,
        FAILED,
        UNLOADING,
        REMOVE,
        TOUCH
    }

    private static final EnumSet<State> ANY = EnumSet.allOf(State.class);

    CopyOp {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(deviceId, "deviceId");
        reason = reason == null ? "" : reason;
    }

    static CopyOp of(Kind kind, String nodeId, String deviceId, long nowMillis) {
        return new CopyOp(kind, nodeId, deviceId, -1, "", 0, 0, nowMillis);
    }

    CopyOp withBytes(long b) {
        return new CopyOp(kind, nodeId, deviceId, b, reason, lastUsedMillis, requestRate, nowMillis);
    }

    CopyOp withReason(String r) {
        return new CopyOp(kind, nodeId, deviceId, bytes, r, lastUsedMillis, requestRate, nowMillis);
    }

    CopyOp withUsage(long lastUsed, double rate) {
        return new CopyOp(kind, nodeId, deviceId, bytes, reason, lastUsed, rate, nowMillis);
    }

    @Override
    public Boolean process(Map.Entry<ModelKey, StoredCopies> entry) {
        Outcome outcome = apply(StoredCopies.of(entry.getValue()));
        if (outcome.applied()) {
            entry.setValue(StoredCopies.orNull(outcome.copies()));
        }
        return outcome.applied();
    }

    Outcome apply(List<Copy> copies) {
        return switch (kind) {
            case CLAIM -> CopyLists.claim(copies, nodeId, deviceId, Math.max(bytes, 0), nowMillis, false);
            case CLAIM_FIRST -> CopyLists.claim(copies, nodeId, deviceId, Math.max(bytes, 0), nowMillis, true);
            case READY ->
                CopyLists.transition(
                        copies, nodeId, deviceId, EnumSet.of(State.LOADING), State.READY, "", bytes, nowMillis);
            case FAILED -> CopyLists.transition(copies, nodeId, deviceId, ANY, State.FAILED, reason, -1, nowMillis);
            case UNLOADING ->
                CopyLists.transition(
                        copies, nodeId, deviceId, EnumSet.of(State.READY), State.UNLOADING, "", -1, nowMillis);
            case REMOVE -> CopyLists.remove(copies, nodeId, deviceId);
            case TOUCH -> CopyLists.touch(copies, nodeId, deviceId, lastUsedMillis, requestRate);
        };
    }
}
