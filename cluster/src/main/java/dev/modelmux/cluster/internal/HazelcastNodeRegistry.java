package dev.modelmux.cluster.internal;

import com.hazelcast.map.IMap;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.cluster.NodeRegistry;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * {@link NodeRegistry} over an {@code IMap<nodeId, RegistryEntry>}. Each node tags its own entry;
 * readers see only entries whose tag verifies for their key (others are absent, and counted).
 */
final class HazelcastNodeRegistry implements NodeRegistry {

    private final IMap<String, Object> map;
    private final String localNodeId;
    private final Supplier<String> localMemberUuid;
    private final Executor executor;
    private final EntryTags tags;
    private volatile NodeRecord lastPublished;

    HazelcastNodeRegistry(
            IMap<String, Object> map,
            String localNodeId,
            Supplier<String> localMemberUuid,
            Executor executor,
            EntryTags tags) {
        this.map = map;
        this.localNodeId = localNodeId;
        this.localMemberUuid = localMemberUuid;
        this.executor = executor;
        this.tags = tags;
    }

    @Override
    public CompletableFuture<Void> publish(NodeRecord record) {
        if (!record.nodeId().equals(localNodeId)) {
            return Async.failed(new IllegalArgumentException(
                    "node " + localNodeId + " may only publish its own record, not " + record.nodeId()));
        }
        lastPublished = record;
        // One writer per key (the node itself), so a plain write loses nothing.
        return Async.run(
                executor, () -> map.set(localNodeId, RegistryEntry.tagged(tags, record, localMemberUuid.get())));
    }

    /** Publishes the last record again, under the current member UUID (after a split-brain merge). */
    CompletableFuture<Void> republish() {
        NodeRecord record = lastPublished;
        return record == null ? CompletableFuture.completedFuture(null) : publish(record);
    }

    @Override
    public CompletableFuture<Optional<NodeRecord>> get(String nodeId) {
        return Async.call(
                executor,
                () -> Optional.ofNullable(RegistryEntry.trusted(
                        tags, nodeId, Decode.read(tags, Forgeries.NODES, nodeId, () -> map.get(nodeId)))));
    }

    @Override
    public CompletableFuture<Map<String, NodeRecord>> all() {
        return Async.call(executor, () -> {
            Map<String, NodeRecord> all = new TreeMap<>();
            for (Map.Entry<String, Object> e : Decode.entries(tags, Forgeries.NODES, map.entrySet())) {
                Object key = Decode.read(tags, Forgeries.NODES, "(unreadable key)", e::getKey);
                NodeRecord record = RegistryEntry.trusted(tags, key, Decode.value(tags, Forgeries.NODES, key, e));
                if (record != null) {
                    all.put(record.nodeId(), record);
                }
            }
            return Collections.unmodifiableMap(all);
        });
    }

    /**
     * Removes {@code nodeId}'s record if the departed member {@code memberUuid} published it (a
     * restarted run's record stays); idempotent.
     */
    CompletableFuture<Boolean> removeDeparted(String nodeId, String memberUuid) {
        return Async.call(executor, () -> map.executeOnKey(nodeId, new RemoveIfPublishedBy(memberUuid)));
    }
}
