package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which version answers a request, and the gate every version passes before it takes traffic: a
 * load that succeeds records the version as passed (and unloads the retained versions it
 * replaces); a load that fails for the model's own sake records the failure with the file's
 * fingerprint, so the version stays UNAVAILABLE until its file changes. A load that failed because
 * the artifact could not be read says nothing about the model: it is recorded as transient and tried
 * again with {@link Backoff backoff} (meanwhile the router forwards the version to a peer that holds
 * it). A lack of room or a shutdown is not the model's fault and records nothing.
 */
final class VersionGate {
    private static final Logger LOG = LoggerFactory.getLogger(VersionGate.class);
    /** How often an unversioned request falls back after the version it tried failed its gate. */
    private static final int FALLBACKS = 8;

    private final Vertx vertx;
    private final ModelRepository repo;
    private final DevicePool pool;
    private final ConcurrentMap<String, ModelRecord> models;
    private final Residency residency;
    private final BooleanSupplier closed;
    private final LongSupplier nanoClock;
    private final DoubleSupplier jitter;
    private final Backoff backoff;
    private volatile Consumer<RepositoryFaults.Kind> errors = k -> {};
    /** Models the operators pinned at runtime (shared through the cluster); loads of them are pinned. */
    private volatile Predicate<String> runtimePins = name -> false;

    VersionGate(
            Vertx vertx,
            ModelRepository repo,
            DevicePool pool,
            ConcurrentMap<String, ModelRecord> models,
            Residency residency,
            BooleanSupplier closed,
            LongSupplier nanoClock,
            DoubleSupplier jitter,
            Backoff backoff) {
        this.vertx = vertx;
        this.repo = repo;
        this.pool = pool;
        this.models = models;
        this.residency = residency;
        this.closed = closed;
        this.nanoClock = nanoClock;
        this.jitter = jitter;
        this.backoff = backoff;
    }

    /** Where artifact reads that failed are counted (the errors metric). */
    void errors(Consumer<RepositoryFaults.Kind> sink) {
        this.errors = sink;
    }

    void runtimePins(Predicate<String> pins) {
        this.runtimePins = pins;
    }

    /** A lease on {@code version} (empty: the default version) of the model of {@code r}. */
    Future<Lease> acquire(ModelRecord r, Optional<Long> version) {
        String name = r.name();
        if (version.isPresent()) {
            long v = version.get();
            if (!r.served().contains(v)) {
                throw ServingException.notFound(
                        "model '" + name + "' has no version " + v + " being served; served versions: " + r.served());
            }
            ModelRecord.Failure f = r.failures().get(v);
            if (f != null && f.permanent()) {
                throw ServingException.unavailable(
                        "model '" + name + "' version " + v + " is unavailable: " + f.reason());
            }
            return load(name, v, r);
        }
        return acquireDefault(name, r, 0);
    }

    private Future<Lease> acquireDefault(String name, ModelRecord r, int attempt) {
        Optional<Long> top = r.top();
        if (top.isPresent()) {
            long v = top.get();
            Optional<Lease> ready = pool.tryAcquire(new ModelKey(name, v));
            if (ready.isPresent()) {
                return Future.succeededFuture(ready.get());
            }
            if (!r.passed().contains(v)) {
                // A new version not yet gated: serve a retained one that is ready, gate the new one aside.
                for (long old : r.retained().descendingSet()) {
                    Optional<Lease> l = pool.tryAcquire(new ModelKey(name, old));
                    if (l.isPresent()) {
                        gate(name, v);
                        return Future.succeededFuture(l.get());
                    }
                }
            }
            return load(name, v, r).recover(t -> {
                ModelRecord now = models.get(name);
                if (now != null && now.failedForGood(v) && attempt < FALLBACKS) {
                    return acquireDefault(name, now, attempt + 1);
                }
                return Future.failedFuture(t);
            });
        }
        for (long old : r.retained().descendingSet()) {
            if (!r.failedForGood(old)) {
                return load(name, old, r);
            }
        }
        String why = r.serving().servedVersions().stream()
                .max(Long::compare)
                .map(v -> Optional.ofNullable(r.failures().get(v))
                        .map(ModelRecord.Failure::reason)
                        .orElse("not loaded"))
                .orElse(r.configProblem().orElse("no version folder holds a model file"));
        throw ServingException.unavailable("model '" + name + "' is unavailable: " + why);
    }

    /** A lease on one version, loading (and so gating) it if it is not resident. */
    Future<Lease> load(String name, long version, ModelRecord r) {
        if (r.config().isEmpty() && r.configProblem().isPresent()) {
            throw ServingException.unavailable(
                    "model '" + name + "' is unavailable: " + r.configProblem().get());
        }
        ModelKey key = new ModelKey(name, version);
        Optional<Lease> ready = pool.tryAcquire(key);
        if (ready.isPresent()) {
            return Future.succeededFuture(ready.get());
        }
        long wait = backingOffNanos(name, version);
        if (wait > 0) {
            ModelRecord.Failure f = models.getOrDefault(name, r).failures().get(version);
            throw ServingException.unavailable("model '" + name + "' version " + version + " is unavailable: "
                    + (f == null ? "its artifact could not be read" : f.reason()) + "; trying again in "
                    + RepositoryFaults.seconds(wait));
        }
        ModelEntry.VersionEntry ve = r.serving()
                .version(version)
                .or(() -> r.scanned().version(version))
                .orElseThrow(() -> ServingException.unavailable(
                        "model '" + name + "' version " + version + " is no longer in the repository"));
        boolean pinned = r.config().map(ModelConfigs::pinned).orElse(false) || runtimePins.test(name);
        LoadSpec spec = new LoadSpec(ve.sizeBytes(), r.config(), () -> repo.read(name, version), pinned);
        return Future.fromCompletionStage(pool.acquire(key, spec), vertx.getOrCreateContext())
                .onSuccess(lease -> passed(name, version, lease.model()))
                .recover(t -> Future.failedFuture(failed(name, version, ve, t)));
    }

    /** Gates a version in the background: load, then release the lease at once. */
    void gate(String name, long version) {
        ModelRecord r = models.get(name);
        if (r == null || closed.getAsBoolean() || backingOffNanos(name, version) > 0) {
            return;
        }
        try {
            load(name, version, r)
                    .onSuccess(Lease::close)
                    .onFailure(t -> LOG.warn(
                            "model '{}' version {} failed its gate; previous version keeps serving: {}",
                            name,
                            version,
                            ServingException.of(t).getMessage()));
        } catch (ServingException e) {
            LOG.warn("model '{}' version {}: {}", name, version, e.getMessage());
        }
    }

    /** After a merge: unload what is no longer served or whose config changed; gate new versions of loaded models. */
    void reconcile(ModelRecord before, ModelRecord after) {
        Set<Long> resident = residency.versions(after.name());
        boolean configChanged = !RecordMerge.sameConfig(before.serving(), after.serving());
        for (long v : resident) {
            if (!after.served().contains(v) || configChanged) {
                unload(after.name(), v, configChanged ? "config changed; reloads on next request" : "no longer served");
            }
        }
        if (!resident.isEmpty() && !configChanged) {
            after.top()
                    .filter(v -> !resident.contains(v) && !after.passed().contains(v))
                    .ifPresent(v -> gate(after.name(), v));
        }
    }

    void unload(String name, long version, String why) {
        LOG.info("model '{}' version {}: unloading ({})", name, version, why);
        pool.unload(new ModelKey(name, version));
    }

    private void passed(String name, long version, LoadedModel model) {
        ModelRecord before = models.get(name);
        ModelRecord after = models.computeIfPresent(name, (n, r) -> r.withPassed(version, model.sha256()));
        if (before != null && after != null) {
            for (long old : before.retained()) {
                if (!after.retained().contains(old)) {
                    unload(name, old, "replaced by version " + version);
                }
            }
        }
    }

    /**
     * How long until a version whose artifact could not be read may be loaded again (0 or less: now, or it
     * has no such failure).
     */
    long backingOffNanos(String name, long version) {
        ModelRecord r = models.get(name);
        ModelRecord.Failure f = r == null ? null : r.failures().get(version);
        return f == null || f.permanent() ? 0 : f.retryAtNanos() - nanoClock.getAsLong();
    }

    /** Forgets a model's transient failures (its repository reads again): its loads may try again at once. */
    void forgetTransientFailures(String name) {
        models.computeIfPresent(name, (n, r) -> r.failures().isEmpty() ? r : r.withoutTransientFailures());
    }

    private ServingException failed(String name, long version, ModelEntry.VersionEntry ve, Throwable t) {
        ServingException se = ServingException.of(t);
        Throwable c = ServingException.unwrap(t);
        if (c instanceof ModelLoadException le && le.transientFailure()) {
            transientFailure(name, version, ve, le);
        } else if (c instanceof ModelLoadException le
                && le.kind() != ModelLoadException.Kind.NO_CAPACITY
                && le.kind() != ModelLoadException.Kind.SHUTDOWN) {
            LOG.warn("model '{}' version {} is UNAVAILABLE: {}", name, version, le.getMessage());
            models.computeIfPresent(
                    name,
                    (n, r) -> r.withFailure(
                            version,
                            new ModelRecord.Failure(le.getMessage(), ve.sizeBytes(), ve.lastModifiedMillis(), true)));
        }
        return se;
    }

    /**
     * Records a load that failed on reading the artifact: tried again after a backoff that doubles with
     * each failure in a row; logged when the failures start, not at each retry.
     */
    private void transientFailure(String name, long version, ModelEntry.VersionEntry ve, ModelLoadException le) {
        errors.accept(RepositoryFaults.Kind.ARTIFACT_READ);
        long now = nanoClock.getAsLong();
        ModelRecord.Failure[] made = new ModelRecord.Failure[1];
        models.computeIfPresent(name, (n, r) -> {
            ModelRecord.Failure prev = r.failures().get(version);
            int attempts = prev != null && !prev.permanent() ? prev.attempts() + 1 : 1;
            long delay = backoff.delayNanos(attempts, jitter.getAsDouble());
            made[0] = new ModelRecord.Failure(
                    le.getMessage(), ve.sizeBytes(), ve.lastModifiedMillis(), false, attempts, now + delay);
            return r.withFailure(version, made[0]);
        });
        ModelRecord.Failure f = made[0];
        if (f == null) {
            return;
        }
        String next = RepositoryFaults.seconds(f.retryAtNanos() - now);
        if (f.attempts() == 1) {
            LOG.warn(
                    "model '{}' version {} could not be loaded: {}; trying again in {}, backing off to {}",
                    name,
                    version,
                    le.getMessage(),
                    next,
                    RepositoryFaults.seconds(backoff.capNanos()));
        } else {
            LOG.debug(
                    "model '{}' version {}: load failed again ({} in a row); next try in {}",
                    name,
                    version,
                    f.attempts(),
                    next);
        }
        // A version gated in the background (a new version while an older one serves) is gated again when
        // its time comes; one that only requests want is tried by the next request after that.
        if (!closed.getAsBoolean()) {
            try {
                vertx.setTimer(
                        Math.max(1, (f.retryAtNanos() - now + 999_999) / 1_000_000), id -> regate(name, version, f));
            } catch (RuntimeException e) {
                LOG.debug("model '{}' version {}: no retry timer ({})", name, version, e.toString());
            }
        }
    }

    private void regate(String name, long version, ModelRecord.Failure f) {
        ModelRecord r = models.get(name);
        if (r == null || closed.getAsBoolean() || r.failures().get(version) != f) {
            return;
        }
        Set<Long> resident = residency.versions(name);
        if (!resident.isEmpty() && !resident.contains(version) && r.top().equals(Optional.of(version))) {
            gate(name, version);
        }
    }
}
