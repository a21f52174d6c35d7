package dev.modelmux.node.mesh;

import dev.modelmux.admission.tenant.Admission;
import dev.modelmux.admission.tenant.InvalidPolicyException;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantPolicyLoader;
import dev.modelmux.admission.tenant.TenantPolicyWriter;
import dev.modelmux.cluster.DocumentWrite;
import dev.modelmux.cluster.SharedDocument;
import dev.modelmux.cluster.SharedDocuments;
import dev.modelmux.cluster.Subscription;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.errors.VersionConflict;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's {@link Admission} on the mesh's tenant policy: the shared document
 * {@value #DOCUMENT}, whose version is the policy version. Every node, the writer included,
 * applies each new version from its listener (and from a re-read every few seconds, as Hazelcast's
 * events are best effort); each version is applied and logged once.
 *
 * <p>At start-up a node given {@code --tenants FILE} publishes the file's policy if the mesh has
 * none yet; if it has one, the mesh's copy wins. A node without a file adopts the mesh's policy,
 * or keeps the open default tenant while there is none. The first write onto the default policy
 * replaces it: the new policy holds exactly the tenants written.
 *
 * <p>Writes ({@link #change}) are optimistic: read the document, edit its tenants, write the next
 * version on the condition that nobody wrote in between (else re-read and retry, or fail with a
 * {@link VersionConflict} when the caller named the version it expects).
 */
public final class TenantPolicySync {
    private static final Logger LOG = LoggerFactory.getLogger(TenantPolicySync.class);
    /** Name of the shared document holding the tenant policy. */
    public static final String DOCUMENT = "tenants";

    static final long REFRESH_MS = 10_000;
    private static final int MAX_TRIES = 8;
    private static final String FILE_NOTE = "file ";

    /** Where the policy in force came from. */
    public enum Source {
        DEFAULT,
        FILE,
        API;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Vertx vertx;
    private final SharedDocuments documents;
    private final Admission admission;
    private final LongSupplier nanoClock;
    private SharedDocument applied; // guarded by this
    private volatile Source source = Source.DEFAULT;
    private volatile Subscription subscription;
    private volatile boolean closed;
    private long timer = -1;

    public TenantPolicySync(Vertx vertx, SharedDocuments documents, Admission admission, LongSupplier nanoClock) {
        this.vertx = vertx;
        this.documents = documents;
        this.admission = admission;
        this.nanoClock = nanoClock;
    }

    /**
     * Follows the shared policy from now on and settles the one in force; completes once it is.
     *
     * @param file the {@code --tenants} file whose policy the admission holds now, if any
     */
    public Future<Void> start(Optional<Path> file) {
        Optional<TenantPolicy> fromFile = file.map(f -> admission.policy());
        source = file.isPresent() ? Source.FILE : Source.DEFAULT;
        Future<Subscription> listening = fromStage(documents.listen(
                DOCUMENT,
                doc -> vertx.executeBlocking(
                        () -> {
                            apply(doc, null);
                            return null;
                        },
                        false)));
        return listening
                .compose(sub -> {
                    subscription = sub;
                    timer = vertx.setPeriodic(REFRESH_MS, REFRESH_MS, id -> refresh());
                    if (fromFile.isEmpty()) {
                        return fromStage(documents.get(DOCUMENT))
                                .compose(doc -> doc.isEmpty()
                                        ? Future.succeededFuture()
                                        : vertx.executeBlocking(() -> {
                                            apply(doc.get(), null);
                                            return null;
                                        }));
                    }
                    String name = file.get().getFileName().toString();
                    TenantPolicy first = TenantPolicy.of(1, fromFile.get().tenants());
                    return fromStage(documents.createIfAbsent(
                                    DOCUMENT, TenantPolicyWriter.write(first), FILE_NOTE + name))
                            .compose(w -> vertx.executeBlocking(() -> {
                                if (w instanceof DocumentWrite.Written written) {
                                    LOG.info(
                                            "tenants: published {} ({} tenants) to the mesh as policy version 1",
                                            name,
                                            first.tenants().size());
                                    apply(written.document(), first);
                                } else if (((DocumentWrite.Conflict) w)
                                        .current()
                                        .isEmpty()) {
                                    // Only when the answer carried no valid tag (not written by a
                                    // holder of the cluster secret): keep the file's policy here.
                                    LOG.warn(
                                            "tenants: the mesh answered with a policy this node cannot authenticate; keeping {}",
                                            name);
                                } else {
                                    SharedDocument theirs = ((DocumentWrite.Conflict) w)
                                            .current()
                                            .orElseThrow();
                                    LOG.info(
                                            "tenants: the mesh already has policy version {} (written by {}{}); it wins over {}",
                                            theirs.version(),
                                            theirs.updatedBy(),
                                            noteOf(theirs),
                                            name);
                                    TenantPolicy inForce = apply(theirs, null);
                                    if (inForce != null
                                            && !byId(inForce.tenants()).equals(byId(first.tenants()))) {
                                        LOG.warn(
                                                "tenants: {} differs from the mesh's policy version {}, which is in force; change the "
                                                        + "policy through /api/v1/tenants, and keep the file in step for a restart of the whole mesh",
                                                name,
                                                theirs.version());
                                    }
                                }
                                return null;
                            }));
                })
                .mapEmpty();
    }

    /** Where the policy in force came from. */
    public Source source() {
        return source;
    }

    /**
     * Writes the next version of the shared policy: {@code edit} gets the current tenants (empty
     * while the mesh has no policy, so the first write replaces the open default; {@code null} when
     * this node cannot read the current version) and returns the new list. Runs {@code edit} on a
     * worker. The new version is in force on this node when the future completes, and on every
     * node through its listener.
     *
     * @param ifMatch the version the caller expects to replace (0: none yet); empty to replace
     *     whatever is there (re-read and retried on a concurrent write)
     * @return the policy written; fails with {@link VersionConflict}, or with {@link
     *     ServingException} from {@code edit} or for an invalid policy
     */
    public Future<TenantPolicy> change(OptionalLong ifMatch, Function<List<Tenant>, List<Tenant>> edit, String note) {
        return attempt(ifMatch, edit, note, 1);
    }

    private Future<TenantPolicy> attempt(
            OptionalLong ifMatch, Function<List<Tenant>, List<Tenant>> edit, String note, int attempt) {
        return fromStage(documents.get(DOCUMENT)).compose(current -> {
            long at = current.map(SharedDocument::version).orElse(0L);
            if (ifMatch.isPresent() && ifMatch.getAsLong() != at) {
                return Future.failedFuture(VersionConflict.expected("the tenant policy is", ifMatch.getAsLong(), at));
            }
            return vertx.executeBlocking(() -> next(current, edit, at + 1), false)
                    .compose(next -> fromStage(documents.compareAndSet(DOCUMENT, at, next.text(), note))
                            .compose(w -> {
                                if (w instanceof DocumentWrite.Written written) {
                                    apply(written.document(), next.policy());
                                    return Future.succeededFuture(next.policy());
                                }
                                long now = ((DocumentWrite.Conflict) w).currentVersion();
                                if (ifMatch.isPresent()) {
                                    return Future.failedFuture(
                                            VersionConflict.expected("the tenant policy is", ifMatch.getAsLong(), now));
                                }
                                if (attempt >= MAX_TRIES) {
                                    return Future.failedFuture(new VersionConflict(
                                            "the tenant policy kept changing under this write " + "(now version " + now
                                                    + "); retry",
                                            now));
                                }
                                return attempt(ifMatch, edit, note, attempt + 1);
                            }));
        });
    }

    /** A policy about to be written, and its text. */
    private record Pending(TenantPolicy policy, String text) {}

    /** The edited policy as {@code version}, validated and within the size cap (on a worker). */
    private static Pending next(
            Optional<SharedDocument> current, Function<List<Tenant>, List<Tenant>> edit, long version) {
        List<Tenant> tenants = List.of();
        if (current.isPresent()) {
            try {
                tenants = TenantPolicyLoader.parse(current.get().text()).tenants();
            } catch (InvalidPolicyException e) {
                tenants = null;
            }
        }
        TenantPolicy next;
        try {
            next = TenantPolicy.of(version, edit.apply(tenants));
        } catch (InvalidPolicyException e) {
            throw ServingException.invalid(e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ServingException.invalid("tenant policy: " + e.getMessage());
        }
        String text = TenantPolicyWriter.write(next);
        // ASCII: characters are bytes.
        if (text.length() > Math.min(SharedDocuments.MAX_TEXT_BYTES, TenantPolicyLoader.MAX_BYTES)) {
            throw ServingException.invalid(
                    "the tenant policy would be larger than " + TenantPolicyLoader.MAX_BYTES + " bytes");
        }
        return new Pending(next, text);
    }

    /**
     * Puts a version of the shared policy in force unless this node has it or a newer one already;
     * a version merged in after a split brain (same number, other text) is applied too.
     *
     * @param parsed the document's policy when the caller has it, else null (parsed here)
     * @return the policy in force after the call, or null when the document cannot be read
     */
    TenantPolicy apply(SharedDocument doc, TenantPolicy parsed) {
        if (!isNew(doc)) {
            return admission.policy();
        }
        TenantPolicy policy;
        try {
            policy = TenantPolicy.of(
                    doc.version(),
                    parsed != null
                            ? parsed.tenants()
                            : TenantPolicyLoader.parse(doc.text()).tenants());
        } catch (IllegalArgumentException e) {
            synchronized (this) {
                if (isNew(doc)) {
                    applied = doc;
                    LOG.error(
                            "tenants: policy version {} written by {} cannot be read here, keeping version {}: {}",
                            doc.version(),
                            doc.updatedBy(),
                            admission.policy().version(),
                            e.getMessage());
                }
            }
            return null;
        }
        synchronized (this) {
            if (!isNew(doc)) {
                return admission.policy();
            }
            boolean wasOpen = admission.policy().isOpen();
            admission.update(policy, nanoClock.getAsLong());
            applied = doc;
            source = doc.note().startsWith(FILE_NOTE) ? Source.FILE : Source.API;
            LOG.info(
                    "tenants: applied policy version {} ({} tenants: {}) written by {}{}",
                    doc.version(),
                    policy.tenants().size(),
                    ids(policy.tenants()),
                    doc.updatedBy(),
                    noteOf(doc));
            if (wasOpen) {
                LOG.info("tenants: the open default tenant is replaced; from now on every request needs the key of a "
                        + "tenant of this policy");
            }
            if (policy.tenants().isEmpty()) {
                LOG.warn(
                        "tenants: policy version {} has no tenant: every inference request is refused (401)",
                        doc.version());
            }
            return policy;
        }
    }

    private synchronized boolean isNew(SharedDocument doc) {
        return applied == null
                || doc.version() > applied.version()
                || (doc.version() == applied.version() && !doc.equals(applied));
    }

    /** Re-reads the shared policy, in case a listener event was lost. */
    private void refresh() {
        if (closed) {
            return;
        }
        documents.get(DOCUMENT).whenComplete((doc, t) -> {
            if (t != null) {
                LOG.debug("tenants: re-reading the shared policy failed: {}", t.toString());
            } else if (doc.isPresent() && isNew(doc.get()) && !closed) {
                vertx.executeBlocking(() -> apply(doc.get(), null), false);
            }
        });
    }

    /** Stops following the shared policy. */
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

    private static String noteOf(SharedDocument doc) {
        return doc.note().isEmpty() ? "" : " (" + doc.note() + ")";
    }

    private static String ids(List<Tenant> tenants) {
        String shown = tenants.stream().limit(10).map(Tenant::id).collect(Collectors.joining(", "));
        return tenants.size() > 10 ? shown + ", ..." : shown;
    }

    private static Map<String, Tenant> byId(List<Tenant> tenants) {
        return tenants.stream().collect(Collectors.toMap(Tenant::id, t -> t));
    }

    private <T> Future<T> fromStage(CompletionStage<T> stage) {
        return Future.fromCompletionStage(stage, vertx.getOrCreateContext());
    }
}
