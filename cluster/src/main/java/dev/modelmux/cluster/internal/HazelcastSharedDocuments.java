package dev.modelmux.cluster.internal;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import dev.modelmux.cluster.DocumentWrite;
import dev.modelmux.cluster.SharedDocument;
import dev.modelmux.cluster.SharedDocuments;
import dev.modelmux.cluster.Subscription;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/** {@link SharedDocuments} over an {@code IMap<String, SharedDocument>}; writes are {@link DocumentOp}s. */
final class HazelcastSharedDocuments implements SharedDocuments {

    private final IMap<String, SharedDocument> map;
    private final String nodeId;
    private final Executor executor;
    private final LongSupplier clockMillis;

    HazelcastSharedDocuments(
            IMap<String, SharedDocument> map, String nodeId, Executor executor, LongSupplier clockMillis) {
        this.map = map;
        this.nodeId = nodeId;
        this.executor = executor;
        this.clockMillis = clockMillis;
    }

    @Override
    public CompletableFuture<Optional<SharedDocument>> get(String name) {
        try {
            SharedDocument.checkName(name);
        } catch (IllegalArgumentException e) {
            return Async.failed(e);
        }
        return Async.call(executor, () -> Optional.ofNullable(map.get(name)));
    }

    @Override
    public CompletableFuture<DocumentWrite> compareAndSet(String name, long expectedVersion, String text, String note) {
        try {
            SharedDocument.checkName(name);
            Objects.requireNonNull(text, "text");
            if (expectedVersion < 0) {
                throw new IllegalArgumentException("expected version must be >= 0 (0: absent), was " + expectedVersion);
            }
            if (tooLarge(text)) {
                throw new IllegalArgumentException(
                        "document '" + name + "' is larger than " + MAX_TEXT_BYTES + " bytes");
            }
        } catch (IllegalArgumentException | NullPointerException e) {
            return Async.failed(e instanceof NullPointerException ? new IllegalArgumentException(e.getMessage()) : e);
        }
        DocumentOp op = new DocumentOp(expectedVersion, text, note, nodeId, clockMillis.getAsLong());
        return Async.call(executor, () -> map.executeOnKey(name, op).toWrite(expectedVersion));
    }

    @Override
    public CompletableFuture<Subscription> listen(String name, Consumer<SharedDocument> listener) {
        try {
            SharedDocument.checkName(name);
        } catch (IllegalArgumentException e) {
            return Async.failed(e);
        }
        Forwarder forwarder = new Forwarder(Objects.requireNonNull(listener, "listener"));
        return Async.call(executor, () -> {
            UUID id = map.addEntryListener(forwarder, name, true);
            return () -> Async.run(executor, () -> map.removeEntryListener(id));
        });
    }

    private static boolean tooLarge(String s) {
        // A char is at most 3 UTF-8 bytes: only a text that could be too large is encoded to count.
        return (long) s.length() * 3 > MAX_TEXT_BYTES && s.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES;
    }

    /** Entry events → documents. Removals are not forwarded: documents are never removed. */
    private record Forwarder(Consumer<SharedDocument> listener)
            implements EntryAddedListener<String, SharedDocument>,
                    EntryUpdatedListener<String, SharedDocument>,
                    EntryMergedListener<String, SharedDocument> {

        @Override
        public void entryAdded(EntryEvent<String, SharedDocument> event) {
            forward(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, SharedDocument> event) {
            forward(event);
        }

        @Override
        public void entryMerged(EntryEvent<String, SharedDocument> event) {
            forward(event);
        }

        private void forward(EntryEvent<String, SharedDocument> event) {
            if (event.getValue() != null) {
                listener.accept(event.getValue());
            }
        }
    }
}
