package dev.modelmux.cluster.internal;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.PlacementTable;
import dev.modelmux.cluster.Subscription;
import dev.modelmux.cluster.TableEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * {@link PlacementTable} over an {@code IMap<ModelKey, StoredCopies>}. Every write is an entry
 * processor ({@link CopyOp}, {@link Reassert}), tagged by this node and run (and its result tagged)
 * only by members that hold the key; nothing reads, modifies and puts back. Readers see only
 * entries whose tag verifies for their key: others count as no copies (and are counted).
 */
final class HazelcastPlacementTable implements PlacementTable {

    private final IMap<Object, Object> map;
    private final Executor executor;
    private final LongSupplier clockMillis;
    private final EntryTags tags;

    HazelcastPlacementTable(IMap<Object, Object> map, Executor executor, LongSupplier clockMillis, EntryTags tags) {
        this.map = map;
        this.executor = executor;
        this.clockMillis = clockMillis;
        this.tags = tags;
    }

    @Override
    public CompletableFuture<Boolean> claimLoad(ModelKey key, String nodeId, String deviceId, long predictedBytes) {
        return claim(CopyOp.Kind.CLAIM, key, nodeId, deviceId, predictedBytes);
    }

    @Override
    public CompletableFuture<Boolean> claimFirstLoad(
            ModelKey key, String nodeId, String deviceId, long predictedBytes) {
        return claim(CopyOp.Kind.CLAIM_FIRST, key, nodeId, deviceId, predictedBytes);
    }

    private CompletableFuture<Boolean> claim(
            CopyOp.Kind kind, ModelKey key, String nodeId, String deviceId, long predictedBytes) {
        if (predictedBytes < 0) {
            return Async.failed(new IllegalArgumentException("predicted size of " + key + " is negative"));
        }
        return execute(key, op(kind, nodeId, deviceId).withBytes(predictedBytes));
    }

    @Override
    public CompletableFuture<Boolean> markReady(ModelKey key, String nodeId, String deviceId, long measuredBytes) {
        if (measuredBytes < 0) {
            return Async.failed(new IllegalArgumentException("measured size of " + key + " is negative"));
        }
        return execute(key, op(CopyOp.Kind.READY, nodeId, deviceId).withBytes(measuredBytes));
    }

    @Override
    public CompletableFuture<Boolean> markFailed(ModelKey key, String nodeId, String deviceId, String reason) {
        return execute(key, op(CopyOp.Kind.FAILED, nodeId, deviceId).withReason(Objects.requireNonNull(reason)));
    }

    @Override
    public CompletableFuture<Boolean> markUnloading(ModelKey key, String nodeId, String deviceId) {
        return execute(key, op(CopyOp.Kind.UNLOADING, nodeId, deviceId));
    }

    @Override
    public CompletableFuture<Boolean> removeCopy(ModelKey key, String nodeId, String deviceId) {
        return execute(key, op(CopyOp.Kind.REMOVE, nodeId, deviceId));
    }

    @Override
    public CompletableFuture<Boolean> touch(
            ModelKey key, String nodeId, String deviceId, long lastUsedMillis, double requestRate) {
        if (!(requestRate >= 0) || Double.isInfinite(requestRate)) {
            return Async.failed(new IllegalArgumentException("request rate of " + key + " must be finite and >= 0"));
        }
        return execute(key, op(CopyOp.Kind.TOUCH, nodeId, deviceId).withUsage(lastUsedMillis, requestRate));
    }

    @Override
    public CompletableFuture<Void> removeNode(String nodeId) {
        Objects.requireNonNull(nodeId, "nodeId");
        Reassert drop = Reassert.dropNode(nodeId).signedBy(tags);
        return Async.run(executor, () -> map.executeOnEntries(drop));
    }

    @Override
    public CompletableFuture<Void> reassert(String nodeId, Map<ModelKey, List<Copy>> held, long asOfMillis) {
        List<Holding> holdings = new ArrayList<>();
        for (Map.Entry<ModelKey, List<Copy>> e : held.entrySet()) {
            for (Copy c : e.getValue()) {
                if (!c.nodeId().equals(nodeId)) {
                    return Async.failed(new IllegalArgumentException(
                            "node " + nodeId + " reasserted a copy of node " + c.nodeId() + " for " + e.getKey()));
                }
                holdings.add(new Holding(e.getKey(), c));
            }
        }
        Reassert reassert = new Reassert(nodeId, holdings, asOfMillis, null).signedBy(tags);
        return Async.run(executor, () -> {
            // Existing entries (drops what the node no longer reports), then reported keys that
            // may have no entry yet. Both passes are idempotent.
            map.executeOnEntries(reassert);
            if (!held.isEmpty()) {
                map.executeOnKeys(Set.<Object>copyOf(held.keySet()), reassert);
            }
        });
    }

    @Override
    public CompletableFuture<List<Copy>> copies(ModelKey key) {
        Objects.requireNonNull(key, "key");
        return Async.call(
                executor,
                () -> StoredCopies.trusted(
                        tags, key, Decode.read(tags, Forgeries.PLACEMENTS, key, () -> map.get(key))));
    }

    @Override
    public CompletableFuture<Map<ModelKey, List<Copy>>> snapshot() {
        return Async.call(executor, () -> {
            Map<ModelKey, List<Copy>> all = new TreeMap<>();
            for (Map.Entry<Object, Object> e : Decode.entries(tags, Forgeries.PLACEMENTS, map.entrySet())) {
                Object key = Decode.read(tags, Forgeries.PLACEMENTS, "(unreadable key)", e::getKey);
                List<Copy> copies = StoredCopies.trusted(tags, key, Decode.value(tags, Forgeries.PLACEMENTS, key, e));
                if (key instanceof ModelKey k && !copies.isEmpty()) {
                    all.put(k, copies);
                }
            }
            return Collections.unmodifiableMap(all);
        });
    }

    @Override
    public CompletableFuture<Subscription> listen(Consumer<TableEvent> listener) {
        Objects.requireNonNull(listener, "listener");
        Forwarder forwarder = new Forwarder(listener, tags);
        return Async.call(executor, () -> {
            UUID id = map.addEntryListener(forwarder, true);
            return () -> Async.run(executor, () -> map.removeEntryListener(id));
        });
    }

    private CopyOp op(CopyOp.Kind kind, String nodeId, String deviceId) {
        return CopyOp.of(
                kind,
                Objects.requireNonNull(nodeId, "nodeId"),
                Objects.requireNonNull(deviceId, "deviceId"),
                clockMillis.getAsLong());
    }

    private CompletableFuture<Boolean> execute(ModelKey key, CopyOp op) {
        Objects.requireNonNull(key, "key");
        CopyOp signed = op.signedFor(tags, key);
        return Async.call(executor, () -> (Boolean) map.executeOnKey(key, signed));
    }

    /**
     * Entry events → {@link TableEvent}s. A value without a valid tag is forwarded as no copies (what
     * a reader of the table sees at that key); an event at a key that is not a model version is dropped.
     */
    private record Forwarder(Consumer<TableEvent> listener, EntryTags tags)
            implements EntryAddedListener<Object, Object>,
                    EntryUpdatedListener<Object, Object>,
                    EntryRemovedListener<Object, Object>,
                    EntryMergedListener<Object, Object> {

        @Override
        public void entryAdded(EntryEvent<Object, Object> event) {
            forward(event);
        }

        @Override
        public void entryUpdated(EntryEvent<Object, Object> event) {
            forward(event);
        }

        @Override
        public void entryRemoved(EntryEvent<Object, Object> event) {
            forward(event);
        }

        @Override
        public void entryMerged(EntryEvent<Object, Object> event) {
            forward(event);
        }

        private void forward(EntryEvent<Object, Object> event) {
            Object key = Decode.read(tags, Forgeries.PLACEMENTS, "(unreadable key)", event::getKey);
            if (key instanceof ModelKey k) {
                Object raw = Decode.read(tags, Forgeries.PLACEMENTS, k, event::getValue);
                listener.accept(new TableEvent(k, StoredCopies.trusted(tags, k, raw)));
            }
        }
    }
}
