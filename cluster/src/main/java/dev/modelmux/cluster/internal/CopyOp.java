package dev.modelmux.cluster.internal;

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
 * backups: it is deterministic, time comes in {@code nowMillis}). Returns whether it applied. Tagged
 * by its sender over its fields and the version's key ({@link SignedOp}); the entry it reads is
 * believed only with a valid tag (else it counts as no copies), and the entry it writes is tagged.
 */
record CopyOp(
        Kind kind,
        String nodeId,
        String deviceId,
        long bytes,
        String reason,
        long lastUsedMillis,
        double requestRate,
        long nowMillis,
        Tag tag)
        implements SignedOp<Object, Object, Boolean> {

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
        return new CopyOp(kind, nodeId, deviceId, -1, "", 0, 0, nowMillis, null);
    }

    CopyOp withBytes(long b) {
        return new CopyOp(kind, nodeId, deviceId, b, reason, lastUsedMillis, requestRate, nowMillis, tag);
    }

    CopyOp withReason(String r) {
        return new CopyOp(kind, nodeId, deviceId, bytes, r, lastUsedMillis, requestRate, nowMillis, tag);
    }

    CopyOp withUsage(long lastUsed, double rate) {
        return new CopyOp(kind, nodeId, deviceId, bytes, reason, lastUsed, rate, nowMillis, tag);
    }

    /** This operation tagged for {@code key} by a holder of the mesh's key. */
    CopyOp signedFor(EntryTags tags, ModelKey key) {
        return new CopyOp(
                kind, nodeId, deviceId, bytes, reason, lastUsedMillis, requestRate, nowMillis, tags.tag(signed(key)));
    }

    @Override
    public Canonical signed(Object key) {
        return StoredCopies.content(key, List.of())
                .str("op:CopyOp")
                .str(kind.name())
                .str(nodeId)
                .str(deviceId)
                .i64(bytes)
                .str(reason)
                .i64(lastUsedMillis)
                .f64(requestRate)
                .i64(nowMillis);
    }

    @Override
    public boolean keyBound() {
        return true;
    }

    @Override
    public Boolean run(Map.Entry<Object, Object> entry, EntryTags tags) {
        ModelKey key = (ModelKey) entry.getKey();
        Outcome outcome = apply(StoredCopies.trusted(tags, key, Decode.value(tags, Forgeries.PLACEMENTS, key, entry)));
        if (outcome.applied()) {
            Decode.set(entry, StoredCopies.tagged(tags, key, outcome.copies()));
        }
        return outcome.applied();
    }

    @Override
    public Boolean refused() {
        return false;
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
