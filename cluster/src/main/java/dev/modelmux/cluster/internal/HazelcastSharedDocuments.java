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

/**
 * {@link SharedDocuments} over an {@code IMap<String, StoredDocument>}; writes are {@link DocumentOp}s,
 * tagged by this node and run only by members that hold the key. Every read (and every listener
 * event, and every write's answer) is believed only with a valid tag: a version without one is
 * absent to this node, and counted.
 */
final class HazelcastSharedDocuments implements SharedDocuments {

    private final IMap<String, Object> map;
    private final String nodeId;
    private final Executor executor;
    private final LongSupplier clockMillis;
    private final EntryTags tags;

    HazelcastSharedDocuments(
            IMap<String, Object> map, String nodeId, Executor executor, LongSupplier clockMillis, EntryTags tags) {
        this.map = map;
        this.nodeId = nodeId;
        this.executor = executor;
        this.clockMillis = clockMillis;
        this.tags = tags;
    }

    @Override
    public CompletableFuture<Optional<SharedDocument>> get(String name) {
        try {
            SharedDocument.checkName(name);
        } catch (IllegalArgumentException e) {
            return Async.failed(e);
        }
        return Async.call(
                executor,
                () -> Optional.ofNullable(StoredDocument.trusted(
                        tags, name, Decode.read(tags, Forgeries.DOCUMENTS, name, () -> map.get(name)))));
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
        DocumentOp op = new DocumentOp(expectedVersion, text, note, nodeId, clockMillis.getAsLong(), null)
                .signedFor(tags, name);
        return Async.call(
                executor, () -> ((DocumentOutcome) map.executeOnKey(name, op)).toWrite(tags, name, expectedVersion));
    }

    @Override
    public CompletableFuture<Subscription> listen(String name, Consumer<SharedDocument> listener) {
        try {
            SharedDocument.checkName(name);
        } catch (IllegalArgumentException e) {
            return Async.failed(e);
        }
        Forwarder forwarder = new Forwarder(Objects.requireNonNull(listener, "listener"), tags);
        return Async.call(executor, () -> {
            UUID id = map.addEntryListener(forwarder, name, true);
            return () -> Async.run(executor, () -> map.removeEntryListener(id));
        });
    }

    private static boolean tooLarge(String s) {
        // A char is at most 3 UTF-8 bytes: only a text that could be too large is encoded to count.
        return (long) s.length() * 3 > MAX_TEXT_BYTES && s.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES;
    }

    /**
     * Entry events → documents. Removals are not forwarded: documents are never removed. A version
     * without a valid tag is not forwarded (and is counted).
     */
    private record Forwarder(Consumer<SharedDocument> listener, EntryTags tags)
            implements EntryAddedListener<String, Object>,
                    EntryUpdatedListener<String, Object>,
                    EntryMergedListener<String, Object> {

        @Override
        public void entryAdded(EntryEvent<String, Object> event) {
            forward(event);
        }

        @Override
        public void entryUpdated(EntryEvent<String, Object> event) {
            forward(event);
        }

        @Override
        public void entryMerged(EntryEvent<String, Object> event) {
            forward(event);
        }

        private void forward(EntryEvent<String, Object> event) {
            String name = event.getKey();
            SharedDocument doc =
                    StoredDocument.trusted(tags, name, Decode.read(tags, Forgeries.DOCUMENTS, name, event::getValue));
            if (doc != null) {
                listener.accept(doc);
            }
        }
    }
}
