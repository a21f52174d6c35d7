package dev.modelmux.node.catalog;

import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans the repository on the repository worker and merges each model's scan into its record (see
 * {@link RecordMerge}), then lets the {@link VersionGate} act on the difference. One scan runs at a
 * time: a forced rescan asked for while one runs runs after it; a poll or a retry is dropped (the
 * running scan covers it).
 *
 * <p>A model is removed (its copies unloaded) only when a listing that worked no longer shows it;
 * whatever could not be read keeps its last good view and is read again with backoff, as
 * {@link RepositoryFaults} decides. Retries run on a timer of their own, so they do not wait for the
 * next poll.
 */
final class RepositoryScan {
    private static final Logger LOG = LoggerFactory.getLogger(RepositoryScan.class);

    /** Why a scan runs. */
    enum Pass {
        /** Asked for (start-up, the repository API, tests): read everything now, backoff aside. */
        FORCED,
        /** The periodic poll: read everything, except what fails and is not due again. */
        POLL,
        /** A retry: read again what fails and is due, nothing else. */
        RETRY
    }

    private final Vertx vertx;
    private final ModelRepository repo;
    private final WorkerExecutor repoWorker;
    private final ControlMode mode;
    private final ConcurrentMap<String, ModelRecord> models;
    private final Residency residency;
    private final VersionGate gate;
    private final RepositoryFaults faults;
    private final LongSupplier nanoClock;
    private final BooleanSupplier closed;
    private volatile Consumer<RepositoryFaults.Kind> errors = k -> {};

    private final Object lock = new Object();
    /** Guarded by lock: a scan is running. */
    private boolean running;
    /** Guarded by lock: a forced rescan asked for while one ran. */
    private Promise<Void> queued;
    /** Guarded by lock: the retry timer, -1 when none is set. */
    private long retryTimer = -1;

    RepositoryScan(
            Vertx vertx,
            ModelRepository repo,
            WorkerExecutor repoWorker,
            ControlMode mode,
            ConcurrentMap<String, ModelRecord> models,
            Residency residency,
            VersionGate gate,
            RepositoryFaults faults,
            LongSupplier nanoClock,
            BooleanSupplier closed) {
        this.vertx = vertx;
        this.repo = repo;
        this.repoWorker = repoWorker;
        this.mode = mode;
        this.models = models;
        this.residency = residency;
        this.gate = gate;
        this.faults = faults;
        this.nanoClock = nanoClock;
        this.closed = closed;
    }

    /** Where read failures are counted (the errors metric). */
    void errors(Consumer<RepositoryFaults.Kind> sink) {
        this.errors = sink;
    }

    /** Rescans the whole repository now (poll mode) or the registered models (explicit mode). */
    Future<Void> rescan() {
        return scan(Pass.FORCED);
    }

    /** The periodic poll: as {@link #rescan()}, but what fails is read again only when its backoff allows. */
    Future<Void> poll() {
        return scan(Pass.POLL);
    }

    private Future<Void> scan(Pass pass) {
        if (closed.getAsBoolean()) {
            return Future.succeededFuture();
        }
        synchronized (lock) {
            if (running) {
                if (pass != Pass.FORCED) {
                    return Future.succeededFuture();
                }
                if (queued == null) {
                    queued = Promise.promise();
                }
                return queued.future();
            }
            running = true;
        }
        return run(pass);
    }

    private Future<Void> run(Pass pass) {
        Future<Void> f;
        try {
            f = repoWorker.executeBlocking(() -> read(pass), false).map(found -> {
                applyFound(found);
                return (Void) null;
            });
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            if (ar.failed()) {
                LOG.warn(
                        "repository {}: scan failed: {}",
                        repo.describe(),
                        ar.cause().toString());
            }
            finished();
        });
        return f;
    }

    /** After a scan: runs the queued forced one, or sets the timer for the next retry. */
    private void finished() {
        Promise<Void> next;
        synchronized (lock) {
            next = queued;
            queued = null;
            if (next == null || closed.getAsBoolean()) {
                running = false;
            }
        }
        if (next == null) {
            scheduleRetry();
        } else if (closed.getAsBoolean()) {
            next.complete();
        } else {
            run(Pass.FORCED).onComplete(next);
        }
    }

    private void scheduleRetry() {
        OptionalLong at = faults.nextRetryNanos();
        synchronized (lock) {
            if (retryTimer >= 0) {
                vertx.cancelTimer(retryTimer);
                retryTimer = -1;
            }
            if (at.isEmpty() || closed.getAsBoolean()) {
                return;
            }
            long delayMillis = Math.max(1, (at.getAsLong() - nanoClock.getAsLong() + 999_999) / 1_000_000);
            long[] id = new long[1];
            id[0] = vertx.setTimer(delayMillis, t -> {
                synchronized (lock) {
                    if (retryTimer == id[0]) {
                        retryTimer = -1;
                    }
                }
                scan(Pass.RETRY);
            });
            retryTimer = id[0];
        }
    }

    /** Stops the retries. */
    void close() {
        synchronized (lock) {
            if (retryTimer >= 0) {
                vertx.cancelTimer(retryTimer);
                retryTimer = -1;
            }
        }
    }

    /** What one scan read: models gone, fresh scans, models whose reads work again. */
    private record Found(Set<String> gone, Map<String, ModelEntry> entries, Set<String> recovered) {
        static final Found NOTHING = new Found(Set.of(), Map.of(), Set.of());
    }

    /** On the worker: lists (unless a retry of models alone), decides what is gone, scans what is due. */
    private Found read(Pass pass) {
        Set<String> known = new HashSet<>(models.keySet());
        List<String> toScan;
        Set<String> gone = Set.of();
        if (pass == Pass.RETRY && !faults.listingFaulted()) {
            toScan = faults.dueModels();
            if (mode == ControlMode.EXPLICIT) {
                toScan.retainAll(known);
            }
        } else {
            if (pass != Pass.FORCED && !faults.listingDue()) {
                return Found.NOTHING;
            }
            List<String> listed;
            try {
                listed = repo.listModels();
            } catch (RepositoryException e) {
                errors.accept(RepositoryFaults.Kind.LISTING);
                faults.listingFailed(e.getMessage())
                        .ifPresent(news -> LOG.warn("repository {}: {}", repo.describe(), news));
                return Found.NOTHING;
            }
            RepositoryFaults.Verdict verdict = faults.listed(listed, known);
            verdict.news().ifPresent(news -> {
                if (!verdict.scan() || !verdict.gone().isEmpty()) {
                    LOG.warn("repository {}: {}", repo.describe(), news);
                } else {
                    LOG.info("repository {}: {}", repo.describe(), news);
                }
            });
            if (!verdict.scan()) {
                errors.accept(RepositoryFaults.Kind.EMPTY_LISTING);
                return Found.NOTHING;
            }
            gone = verdict.gone();
            if (mode == ControlMode.POLL) {
                toScan = listed;
            } else {
                toScan = new ArrayList<>(known);
                toScan.removeAll(gone);
                toScan.sort(null);
            }
        }
        Map<String, ModelEntry> entries = new HashMap<>();
        Set<String> recovered = new HashSet<>();
        for (String name : toScan) {
            if (pass != Pass.FORCED && !faults.scanDue(name)) {
                continue;
            }
            try {
                ModelEntry entry = repo.scan(name);
                entries.put(name, entry);
                ModelRecord old = models.get(name);
                if (entry.configError().isPresent()
                        && old != null
                        && old.config().isPresent()) {
                    // A config.pbtxt that stopped parsing may be one caught mid-write: the last good one keeps
                    // serving (RecordMerge), and it is read again with backoff rather than at the next poll.
                    errors.accept(RepositoryFaults.Kind.MODEL_SCAN);
                    faults.configBroken(name).ifPresent(LOG::warn);
                } else {
                    faults.scanned(name).ifPresent(news -> {
                        LOG.info(news);
                        recovered.add(name);
                    });
                }
            } catch (RepositoryException.NotFound e) {
                // Gone since the listing (or the whole folder moved away meanwhile): the next listing says which.
                LOG.debug("model '{}': not found after it was listed; the next listing decides", name);
            } catch (RepositoryException | RuntimeException e) {
                errors.accept(RepositoryFaults.Kind.MODEL_SCAN);
                faults.scanFailed(name, e.getMessage(), known.contains(name)).ifPresent(LOG::warn);
            }
        }
        return new Found(gone, entries, recovered);
    }

    /** On the caller's context: removes what is gone, merges the fresh scans. */
    private void applyFound(Found found) {
        int before = models.size();
        for (String name : found.gone()) {
            remove(name, "removed from the repository");
        }
        found.entries().forEach((name, entry) -> apply(entry));
        // The repository reads again: loads that failed on a read may try again at once.
        found.recovered().forEach(gate::forgetTransientFailures);
        if (models.size() != before) {
            LOG.info("repository {}: {} models", repo.describe(), models.size());
        }
    }

    /** Merges a fresh scan into the catalog and starts whatever gating it calls for. */
    void apply(ModelEntry entry) {
        ModelRecord before = models.get(entry.name());
        ModelRecord after = models.compute(entry.name(), (n, old) -> merge(old, entry));
        if (before == null || !before.scanned().fingerprint().equals(entry.fingerprint())) {
            String line = "model '{}': versions {} in repository, serving {}{}";
            Object[] args = {
                entry.name(),
                entry.versions().stream().map(ModelEntry.VersionEntry::version).toList(),
                after.served(),
                after.configProblem().map(p -> " (" + p + ")").orElse("")
            };
            // First sight of a model is routine (a repository can hold thousands); changes are news.
            if (before == null && after.configProblem().isEmpty()) {
                LOG.debug(line, args);
            } else {
                LOG.info(line, args);
            }
        }
        if (before != null) {
            gate.reconcile(before, after);
        }
    }

    /** {@link RecordMerge#merge} with this node's copies of the model. */
    ModelRecord merge(ModelRecord old, ModelEntry entry) {
        if (old == null) {
            return ModelRecord.first(entry);
        }
        Set<Long> resident = residency.versions(entry.name());
        return RecordMerge.merge(old, entry, resident, () -> residency.mismatches(entry, resident));
    }

    private void remove(String name, String why) {
        ModelRecord r = models.remove(name);
        if (r != null) {
            LOG.info("model '{}': {}", name, why);
            residency.versions(name).forEach(v -> gate.unload(name, v, why));
        }
    }
}
