package dev.modelmux.node.endpoints;

import dev.modelmux.cluster.DocumentWrite;
import dev.modelmux.cluster.SharedDocument;
import dev.modelmux.cluster.SharedDocuments;
import dev.modelmux.cluster.Subscription;
import dev.modelmux.node.errors.VersionConflict;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's {@link EndpointTable} on the mesh's endpoints: the shared document {@value
 * #DOCUMENT}, whose version is the policy version. Every node, the writer included, puts each new
 * version in force from its listener (within milliseconds), and re-reads the document every
 * {@value #REFRESH_MS} ms in case an event was lost; each version is applied and logged once.
 *
 * <p>Writes ({@link #change}) are optimistic: read the document, build the next one (the builder
 * runs the promotion gate and loads the targets, asynchronously), write it on the condition that
 * nobody wrote in between, else re-read and retry, or fail with {@link VersionConflict} when the
 * caller named the version it expected (If-Match). So a version takes traffic only after its
 * builder has loaded what it needs.
 */
public final class EndpointSync {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointSync.class);
    /** Name of the shared document holding the endpoints. */
    public static final String DOCUMENT = "endpoints";

    static final long REFRESH_MS = 2_000;
    private static final int MAX_TRIES = 8;
    static final String FILE_NOTE = "file ";

    private final Vertx vertx;
    private final SharedDocuments documents;
    private final List<Consumer<EndpointTable>> listeners = new CopyOnWriteArrayList<>();
    private volatile EndpointTable table = EndpointTable.EMPTY;
    private SharedDocument applied; // guarded by this
    private volatile Subscription subscription;
    private volatile boolean closed;
    private long timer = -1;

    public EndpointSync(Vertx vertx, SharedDocuments documents) {
        this.vertx = vertx;
        this.documents = documents;
    }

    /** The endpoints in force on this node. */
    public EndpointTable table() {
        return table;
    }

    /** Calls {@code listener} with each new table put in force (on a worker thread). */
    public void onChange(Consumer<EndpointTable> listener) {
        listeners.add(listener);
    }

    /**
     * Follows the shared document from now on and settles what is in force; completes once it is.
     * With a file: if the mesh has no endpoints yet, {@code publish} prepares the file's endpoints
     * (gate and loads) and they are written as version 1; if it has some, the mesh's copy wins.
     */
    public Future<Void> start(
            Optional<String> fileName,
            Optional<List<EndpointSpec>> fromFile,
            Function<List<EndpointSpec>, Future<List<EndpointSpec>>> publish) {
        Future<Subscription> listening = fromStage(documents.listen(
                DOCUMENT,
                doc -> vertx.executeBlocking(
                        () -> {
                            apply(doc);
                            return null;
                        },
                        false)));
        return listening
                .compose(sub -> {
                    subscription = sub;
                    timer = vertx.setPeriodic(REFRESH_MS, REFRESH_MS, id -> refresh());
                    return fromStage(documents.get(DOCUMENT));
                })
                .compose(current -> {
                    if (current.isPresent() || fromFile.isEmpty()) {
                        if (current.isPresent() && fromFile.isPresent()) {
                            LOG.info(
                                    "endpoints: the mesh already has policy version {} (written by {}); it wins over {}",
                                    current.get().version(),
                                    current.get().updatedBy(),
                                    fileName.orElse("the file"));
                        }
                        return current.isEmpty()
                                ? Future.<Void>succeededFuture()
                                : vertx.executeBlocking(
                                        () -> {
                                            apply(current.get());
                                            return null;
                                        },
                                        false);
                    }
                    String name = fileName.orElse("endpoints file");
                    return publish.apply(fromFile.get()).compose(specs -> {
                        EndpointDocument doc = EndpointDocument.EMPTY.replaceAll(specs, 1);
                        return fromStage(documents.createIfAbsent(DOCUMENT, doc.write(), FILE_NOTE + name))
                                .compose(w -> vertx.executeBlocking(
                                        () -> {
                                            if (w instanceof DocumentWrite.Written written) {
                                                LOG.info(
                                                        "endpoints: published {} ({} endpoints) to the mesh as policy version 1",
                                                        name,
                                                        specs.size());
                                                apply(written.document());
                                            } else if (((DocumentWrite.Conflict) w)
                                                    .current()
                                                    .isEmpty()) {
                                                // Only when the answer carried no valid tag (not
                                                // written by a holder of the cluster secret).
                                                LOG.warn(
                                                        "endpoints: the mesh answered with endpoints this node cannot authenticate; {} is not published, nothing is applied",
                                                        name);
                                            } else {
                                                SharedDocument theirs = ((DocumentWrite.Conflict) w)
                                                        .current()
                                                        .orElseThrow();
                                                LOG.info(
                                                        "endpoints: the mesh got policy version {} from {} first; it wins over {}",
                                                        theirs.version(),
                                                        theirs.updatedBy(),
                                                        name);
                                                apply(theirs);
                                            }
                                            return null;
                                        },
                                        false));
                    });
                })
                .mapEmpty();
    }

    /**
     * Writes the next version: {@code build} gets the current document and the version it will be
     * written as, and returns the next document (failing to refuse the write). The new version is in
     * force on this node when the future completes, and on every node through its listener.
     *
     * @param ifMatch the version the caller expects to replace (0: none yet); empty to replace
     *     whatever is there (re-read and rebuilt on a concurrent write)
     */
    public Future<EndpointTable> change(
            OptionalLong ifMatch, BiFunction<EndpointDocument, Long, Future<EndpointDocument>> build, String note) {
        return attempt(ifMatch, build, note, 1);
    }

    private Future<EndpointTable> attempt(
            OptionalLong ifMatch,
            BiFunction<EndpointDocument, Long, Future<EndpointDocument>> build,
            String note,
            int attempt) {
        return fromStage(documents.get(DOCUMENT)).compose(current -> {
            long at = current.map(SharedDocument::version).orElse(0L);
            if (ifMatch.isPresent() && ifMatch.getAsLong() != at) {
                return Future.failedFuture(VersionConflict.expected("the endpoints are", ifMatch.getAsLong(), at));
            }
            return vertx.executeBlocking(
                            () -> current.map(d -> EndpointDocument.parse(d.text()))
                                    .orElse(EndpointDocument.EMPTY),
                            false)
                    .compose(doc -> build.apply(doc, at + 1))
                    .compose(next -> {
                        String text = next.write();
                        if (text.length() > SharedDocuments.MAX_TEXT_BYTES) {
                            return Future.failedFuture(new InvalidEndpointException(
                                    "the endpoints would be larger than " + SharedDocuments.MAX_TEXT_BYTES + " bytes"));
                        }
                        return fromStage(documents.compareAndSet(DOCUMENT, at, text, note));
                    })
                    .compose(w -> {
                        if (w instanceof DocumentWrite.Written written) {
                            return vertx.executeBlocking(
                                    () -> {
                                        apply(written.document());
                                        return table;
                                    },
                                    false);
                        }
                        long now = ((DocumentWrite.Conflict) w).currentVersion();
                        if (ifMatch.isPresent()) {
                            return Future.failedFuture(
                                    VersionConflict.expected("the endpoints are", ifMatch.getAsLong(), now));
                        }
                        if (attempt >= MAX_TRIES) {
                            return Future.failedFuture(new VersionConflict(
                                    "the endpoints kept changing under this write (now version " + now + "); retry",
                                    now));
                        }
                        return attempt(ifMatch, build, note, attempt + 1);
                    });
        });
    }

    /** Puts a version in force unless this node has it or a newer one (a merged version with other text applies too). */
    void apply(SharedDocument doc) {
        if (!isNew(doc)) {
            return;
        }
        EndpointTable next;
        try {
            next = EndpointTable.of(doc.version(), EndpointDocument.parse(doc.text()), doc.updatedBy(), doc.note());
        } catch (IllegalArgumentException e) {
            synchronized (this) {
                if (isNew(doc)) {
                    applied = doc;
                    LOG.error(
                            "endpoints: policy version {} written by {} cannot be read here, keeping version {}: {}",
                            doc.version(),
                            doc.updatedBy(),
                            table.version(),
                            e.getMessage());
                }
            }
            return;
        }
        synchronized (this) {
            if (!isNew(doc)) {
                return;
            }
            table = next;
            applied = doc;
            LOG.info(
                    "endpoints: applied policy version {} ({} endpoints: {}) written by {}{}",
                    doc.version(),
                    next.entries().size(),
                    next.entries().keySet().stream().limit(10).collect(Collectors.joining(", ")),
                    doc.updatedBy(),
                    doc.note().isEmpty() ? "" : " (" + doc.note() + ")");
        }
        for (Consumer<EndpointTable> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                LOG.warn("endpoints: a listener failed on version {}: {}", next.version(), e.toString());
            }
        }
    }

    private synchronized boolean isNew(SharedDocument doc) {
        return applied == null
                || doc.version() > applied.version()
                || (doc.version() == applied.version() && !doc.equals(applied));
    }

    private void refresh() {
        if (closed) {
            return;
        }
        documents.get(DOCUMENT).whenComplete((doc, t) -> {
            if (t == null && doc.isPresent() && isNew(doc.get()) && !closed) {
                vertx.executeBlocking(
                        () -> {
                            apply(doc.get());
                            return null;
                        },
                        false);
            }
        });
    }

    /** Stops following the shared document. */
    public void close() {
        closed = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
    }

    private <T> Future<T> fromStage(CompletionStage<T> stage) {
        return Future.fromCompletionStage(stage, vertx.getOrCreateContext());
    }
}
