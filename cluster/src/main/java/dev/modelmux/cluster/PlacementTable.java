package dev.modelmux.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Model version → its copies, shared cluster-wide. This records decisions; it does not make them
 * ({@code placement} decides, the chosen node loads).
 *
 * <p><b>Consistency.</b> Every update is an entry processor: an atomic read-modify-write of one
 * model version's copies on the partition that owns it, so concurrent updates of one key from any
 * node serialize and none is lost while the cluster is whole. No Hazelcast lock is used. Each
 * update is acknowledged once its one synchronous backup has it, so it survives the crash of any
 * single member. Hazelcast maps are AP, though: an update is lost when owner and backup fail
 * together (or the backup acknowledgement times out and then the owner fails), and during a split
 * brain each side updates its own table, so a claim can win on both sides. After the heal the copy
 * lists of both sides are merged (union per copy; the higher {@link Copy#version()} wins for a copy
 * both sides changed, so a removal on one side can come back). To converge anyway every node must
 * periodically {@link #reassert} the copies it really holds: the table's picture of node N is
 * whatever N last reported, plus what was changed since.
 *
 * <p>State changes are guarded so a late or stale call cannot undo a newer one:
 * {@code markReady} only from LOADING, {@code markUnloading} only from READY, {@code removeCopy}
 * only from UNLOADING or FAILED. Each returns whether it applied.
 *
 * <p>Every method runs its Hazelcast call on the executor the cluster was joined with.
 */
public interface PlacementTable {

    /**
     * Claims the right to load {@code key} on {@code (nodeId, deviceId)}: records a LOADING copy
     * with {@code predictedBytes} and returns true, unless that device already has a LOADING, READY
     * or UNLOADING copy of the version (an unloading copy still holds the memory; claim again once
     * it is removed). A FAILED copy there is replaced. Among concurrent callers from any node,
     * exactly one wins per device.
     *
     * <p>Claims for different devices are independent: a second copy of a version on another node
     * or device is claimed the same way, and all such claims may win (that is how a model scales
     * out). To load a version only if it has no live copy anywhere, use {@link #claimFirstLoad}.
     */
    CompletableFuture<Boolean> claimLoad(ModelKey key, String nodeId, String deviceId, long predictedBytes);

    /** {@link #claimLoad(ModelKey, String, String, long)} with the size not known yet (0). */
    default CompletableFuture<Boolean> claimLoad(ModelKey key, String nodeId, String deviceId) {
        return claimLoad(key, nodeId, deviceId, 0);
    }

    /**
     * Like {@link #claimLoad} but wins only while the version has no LOADING or READY copy on any
     * device: concurrent first requests anywhere in the cluster cause exactly one load; the losers
     * wait for the winner's copy (read {@link #copies} or {@link #listen}).
     */
    CompletableFuture<Boolean> claimFirstLoad(ModelKey key, String nodeId, String deviceId, long predictedBytes);

    /** LOADING → READY with the measured size; false if the copy is not LOADING (or gone). */
    CompletableFuture<Boolean> markReady(ModelKey key, String nodeId, String deviceId, long measuredBytes);

    /** Marks the copy FAILED with a reason, whatever its state; false if there is no such copy. */
    CompletableFuture<Boolean> markFailed(ModelKey key, String nodeId, String deviceId, String reason);

    /** READY → UNLOADING: the copy stops taking requests, its memory stays counted. */
    CompletableFuture<Boolean> markUnloading(ModelKey key, String nodeId, String deviceId);

    /** Removes an UNLOADING or FAILED copy; a live copy must be marked first. */
    CompletableFuture<Boolean> removeCopy(ModelKey key, String nodeId, String deviceId);

    /**
     * Drops every copy of {@code nodeId}, whatever its state. Run by the survivors when a member
     * leaves; idempotent.
     */
    CompletableFuture<Void> removeNode(String nodeId);

    /**
     * Folds usage into a copy: last use only moves forward, the rate replaces the previous one.
     * Meant to be called periodically per copy with aggregated figures, not per request.
     *
     * @return false if there is no such copy
     */
    CompletableFuture<Boolean> touch(
            ModelKey key, String nodeId, String deviceId, long lastUsedMillis, double requestRate);

    /** The copies of one version, ordered by node then device; empty if none. */
    CompletableFuture<List<Copy>> copies(ModelKey key);

    /** The whole table, ordered by key. Not a consistent cut across keys. */
    CompletableFuture<Map<ModelKey, List<Copy>>> snapshot();

    /**
     * Replaces what the table says about {@code nodeId}'s copies with what the node really holds,
     * leaving other nodes' copies alone: reported copies are written (a copy equal to the table's
     * but for its counter is left untouched, so a steady state writes nothing), every other copy of
     * the node is removed, except a LOADING copy claimed after {@code asOfMillis} (the time the node
     * took its report), which a concurrent claim may have just created.
     *
     * @param held copies of {@code nodeId} by version, including loads in progress; the copies'
     *             {@code nodeId} must be {@code nodeId}
     */
    CompletableFuture<Void> reassert(String nodeId, Map<ModelKey, List<Copy>> held, long asOfMillis);

    /**
     * Calls {@code listener} with every change to the table, on a Hazelcast event thread (keep it
     * short and non-blocking: hand the event to your own context).
     */
    CompletableFuture<Subscription> listen(Consumer<TableEvent> listener);
}
