package dev.modelmux.node.catalog;

import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryException;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scans the repository on the repository worker and merges each model's scan into its record (see
 * {@link RecordMerge}), then lets the {@link VersionGate} act on the difference. One scan runs at a
 * time; a rescan asked for while one runs is dropped (the next poll catches up).
 */
final class RepositoryScan {
    private static final Logger LOG = LoggerFactory.getLogger(RepositoryScan.class);

    private final ModelRepository repo;
    private final WorkerExecutor repoWorker;
    private final ControlMode mode;
    private final ConcurrentMap<String, ModelRecord> models;
    private final Residency residency;
    private final VersionGate gate;
    private final BooleanSupplier closed;
    private final AtomicBoolean scanning = new AtomicBoolean();

    RepositoryScan(
            ModelRepository repo,
            WorkerExecutor repoWorker,
            ControlMode mode,
            ConcurrentMap<String, ModelRecord> models,
            Residency residency,
            VersionGate gate,
            BooleanSupplier closed) {
        this.repo = repo;
        this.repoWorker = repoWorker;
        this.mode = mode;
        this.models = models;
        this.residency = residency;
        this.gate = gate;
        this.closed = closed;
    }

    /** Rescans the whole repository (poll mode) or the registered models (explicit mode). */
    Future<Void> rescan() {
        if (closed.getAsBoolean() || !scanning.compareAndSet(false, true)) {
            return Future.succeededFuture();
        }
        return repoWorker
                .executeBlocking(this::scanAll, false)
                .map(scans -> {
                    for (String gone : new HashSet<>(models.keySet())) {
                        Object s = scans.get(gone);
                        if ((mode == ControlMode.POLL && s == null && !scans.containsKey(gone))
                                || s instanceof RepositoryException.NotFound) {
                            remove(gone, "removed from the repository");
                        }
                    }
                    int before = models.size();
                    scans.forEach((name, s) -> {
                        if (s instanceof ModelEntry e) {
                            apply(e);
                        }
                    });
                    if (models.size() != before) {
                        LOG.info("repository {}: {} models", repo.describe(), models.size());
                    }
                    return (Void) null;
                })
                .eventually(() -> {
                    scanning.set(false);
                    return Future.succeededFuture();
                });
    }

    /** On the worker: each model's {@link ModelEntry}, or the {@link RepositoryException.NotFound} of one gone. */
    private Map<String, Object> scanAll() throws RepositoryException {
        List<String> names = mode == ControlMode.POLL ? repo.listModels() : new ArrayList<>(models.keySet());
        Map<String, Object> scans = new HashMap<>();
        for (String name : names) {
            try {
                scans.put(name, repo.scan(name));
            } catch (RepositoryException.NotFound e) {
                scans.put(name, e);
            } catch (RepositoryException e) {
                LOG.warn("model '{}': scan failed: {}", name, e.getMessage());
            }
        }
        return scans;
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
