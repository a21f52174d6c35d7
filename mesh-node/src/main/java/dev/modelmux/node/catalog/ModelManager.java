package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.OnnxInspector;
import dev.modelmux.repo.OnnxModelInfo;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.config.ModelConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's catalog of models and their versions: which versions are served, which failed
 * their gate and why, and which one answers a request. Residency (loaded, evicted) belongs to
 * the {@link DevicePool}; repository I/O runs on a named worker, never an event loop.
 *
 * <p>Reload rules: a newly selected version of a model that has a copy resident is gated at
 * once in the background while the previous version keeps serving; it takes traffic only after
 * passing, and the versions it replaces are then unloaded (after their in-flight requests). A
 * version that fails its gate is UNAVAILABLE with its reason until its file changes or it is
 * loaded explicitly; requests fall back to the previous version meanwhile.
 */
public final class ModelManager {
    private static final Logger LOG = LoggerFactory.getLogger(ModelManager.class);

    private final Vertx vertx;
    private final ModelRepository repo;
    private final DevicePool pool;
    private final WorkerExecutor repoWorker;
    private final ControlMode mode;
    private final double footprintFactor;
    private final ConcurrentHashMap<String, ModelRecord> models = new ConcurrentHashMap<>();
    private final AtomicBoolean scanning = new AtomicBoolean();
    private volatile boolean closed;
    /** Models the operators pinned at runtime (shared through the cluster); loads of them are pinned. */
    private volatile Predicate<String> runtimePins = name -> false;

    public ModelManager(
            Vertx vertx,
            ModelRepository repo,
            DevicePool pool,
            WorkerExecutor repoWorker,
            ControlMode mode,
            double footprintFactor) {
        this.vertx = vertx;
        this.footprintFactor = footprintFactor;
        this.repo = repo;
        this.pool = pool;
        this.repoWorker = repoWorker;
        this.mode = mode;
    }

    /** Sets where runtime pins come from (the operators' shared settings). */
    public void runtimePins(Predicate<String> pins) {
        this.runtimePins = pins;
    }

    /** Whether the model's config.pbtxt pins it (runtime pins aside); false for an unknown model. */
    public boolean configPinned(String name) {
        ModelRecord r = models.get(name);
        return r != null && r.config().map(ModelConfigs::pinned).orElse(false);
    }

    /** Names of the models in the catalog, sorted. */
    public List<String> modelNames() {
        List<String> names = new ArrayList<>(models.keySet());
        names.sort(null);
        return names;
    }

    public ControlMode mode() {
        return mode;
    }

    public String repositoryDescription() {
        return repo.describe();
    }

    // ---------------------------------------------------------------- scanning

    /** Rescans the whole repository (poll mode) or the registered models (explicit mode). */
    public Future<Void> rescan() {
        if (closed || !scanning.compareAndSet(false, true)) {
            return Future.succeededFuture();
        }
        return repoWorker
                .<Map<String, Object>>executeBlocking(
                        () -> {
                            List<String> names =
                                    mode == ControlMode.POLL ? repo.listModels() : new ArrayList<>(models.keySet());
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
                        },
                        false)
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
            reconcile(before, after);
        }
    }

    private ModelRecord merge(ModelRecord old, ModelEntry entry) {
        if (old == null) {
            return ModelRecord.first(entry);
        }
        Set<Long> resident = residentVersions(entry.name());
        ModelEntry serving = entry;
        Optional<String> problem = entry.configError();
        if (entry.configError().isPresent() && old.serving().configError().isEmpty()) {
            // A broken config.pbtxt: keep serving with the last good one.
            serving = old.serving();
        } else if (!resident.isEmpty() && !sameConfig(old.serving(), entry)) {
            List<String> mismatches = compatibility(entry, resident);
            if (!mismatches.isEmpty()) {
                serving = old.serving();
                problem = Optional.of(
                        "new config.pbtxt does not match the loaded model: " + String.join("; ", mismatches));
            }
        }
        // Failures stay only while the failing file is unchanged.
        Map<Long, ModelRecord.Failure> failures = new HashMap<>();
        boolean configSame = sameConfig(old.serving(), serving);
        old.failures()
                .forEach((v, f) -> entry.version(v).ifPresent(ve -> {
                    if (ve.sizeBytes() == f.sizeBytes()
                            && ve.lastModifiedMillis() == f.lastModifiedMillis()
                            && configSame) {
                        failures.put(v, f);
                    }
                }));
        TreeSet<Long> passed = new TreeSet<>(old.passed());
        passed.removeIf(v -> entry.version(v).isEmpty() && !resident.contains(v));
        // Versions dropped by the policy keep serving until a newly selected one has passed.
        TreeSet<Long> retained = new TreeSet<>();
        boolean selectedPassed = serving.servedVersions().stream().anyMatch(passed::contains);
        if (!selectedPassed) {
            for (long v : old.served()) {
                boolean loadable = entry.version(v).isPresent() || resident.contains(v);
                if (!serving.servedVersions().contains(v)
                        && loadable
                        && !failures.containsKey(v)
                        && (passed.contains(v) || resident.contains(v))) {
                    retained.add(v);
                }
            }
        }
        Map<Long, String> sha = new HashMap<>(old.sha256());
        sha.keySet().removeIf(v -> entry.version(v).isEmpty());
        return new ModelRecord(entry.name(), entry, serving, problem, failures, retained, passed, sha);
    }

    /** After a merge: unload what is no longer served or whose config changed; gate new versions of loaded models. */
    private void reconcile(ModelRecord before, ModelRecord after) {
        Set<Long> resident = residentVersions(after.name());
        boolean configChanged = !sameConfig(before.serving(), after.serving());
        for (long v : resident) {
            if (!after.served().contains(v) || configChanged) {
                unloadVersion(
                        after.name(),
                        v,
                        configChanged ? "config changed; reloads on next request" : "no longer served");
            }
        }
        if (!resident.isEmpty() && !configChanged) {
            after.top()
                    .filter(v -> !resident.contains(v) && !after.passed().contains(v))
                    .ifPresent(v -> gate(after.name(), v));
        }
    }

    private void remove(String name, String why) {
        ModelRecord r = models.remove(name);
        if (r != null) {
            LOG.info("model '{}': {}", name, why);
            residentVersions(name).forEach(v -> unloadVersion(name, v, why));
        }
    }

    // ---------------------------------------------------------------- requests

    /**
     * A lease on the version that serves {@code (name, version)}; loads it if needed (concurrent
     * first requests share one load). The future completes on the caller's context.
     */
    public Future<Lease> acquire(String name, String version) {
        ModelRecord r = record(name);
        Optional<Long> explicit = parseVersion(version);
        if (explicit.isPresent()) {
            long v = explicit.get();
            if (!r.served().contains(v)) {
                throw ServingException.notFound(
                        "model '" + name + "' has no version " + v + " being served; served versions: " + r.served());
            }
            ModelRecord.Failure f = r.failures().get(v);
            if (f != null) {
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
                if (now != null && now.failures().containsKey(v) && attempt < 8) {
                    return acquireDefault(name, now, attempt + 1);
                }
                return Future.failedFuture(t);
            });
        }
        for (long old : r.retained().descendingSet()) {
            if (!r.failures().containsKey(old)) {
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

    private Future<Lease> load(String name, long version, ModelRecord r) {
        if (r.config().isEmpty() && r.configProblem().isPresent()) {
            throw ServingException.unavailable(
                    "model '" + name + "' is unavailable: " + r.configProblem().get());
        }
        ModelKey key = new ModelKey(name, version);
        Optional<Lease> ready = pool.tryAcquire(key);
        if (ready.isPresent()) {
            return Future.succeededFuture(ready.get());
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
    private void gate(String name, long version) {
        ModelRecord r = models.get(name);
        if (r == null || closed) {
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

    private void passed(String name, long version, LoadedModel model) {
        ModelRecord before = models.get(name);
        ModelRecord after = models.computeIfPresent(name, (n, r) -> r.withPassed(version, model.sha256()));
        if (before != null && after != null) {
            for (long old : before.retained()) {
                if (!after.retained().contains(old)) {
                    unloadVersion(name, old, "replaced by version " + version);
                }
            }
        }
    }

    private ServingException failed(String name, long version, ModelEntry.VersionEntry ve, Throwable t) {
        ServingException se = ServingException.of(t);
        Throwable c = ServingException.unwrap(t);
        if (c instanceof ModelLoadException le
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

    private void unloadVersion(String name, long version, String why) {
        LOG.info("model '{}' version {}: unloading ({})", name, version, why);
        pool.unload(new ModelKey(name, version));
    }

    // ---------------------------------------------------------------- repository API

    /**
     * Loads (or reloads) a model: rescans it, clears its failures and gates every selected version
     * now. Fails with UNAVAILABLE if none passes.
     */
    public Future<Void> loadModel(String name) {
        ModelNames.validate(name);
        return repoWorker
                .executeBlocking(() -> repo.scan(name), false)
                .recover(t -> Future.failedFuture(
                        t instanceof RepositoryException.NotFound
                                ? ServingException.notFound("model '" + name + "' is not in the repository")
                                : ServingException.unavailable("model '" + name + "': " + t.getMessage())))
                .compose(entry -> {
                    models.compute(name, (n, old) -> {
                        ModelRecord m = merge(old, entry);
                        return new ModelRecord(
                                m.name(),
                                m.scanned(),
                                m.serving(),
                                m.configProblem(),
                                Map.of(),
                                m.retained(),
                                m.passed(),
                                m.sha256());
                    });
                    ModelRecord r = models.get(name);
                    if (r.config().isEmpty() && r.configProblem().isPresent()) {
                        return Future.failedFuture(ServingException.unavailable(
                                "model '" + name + "': " + r.configProblem().get()));
                    }
                    if (r.serving().servedVersions().isEmpty()) {
                        return Future.failedFuture(
                                ServingException.unavailable("model '" + name + "' has no version to serve"));
                    }
                    List<Future<Lease>> loads = new ArrayList<>();
                    for (long v : r.serving().servedVersions()) {
                        loads.add(load(name, v, r));
                    }
                    return Future.join(loads).transform(ar -> {
                        List<String> errors = new ArrayList<>();
                        int ok = 0;
                        for (Future<Lease> f : loads) {
                            if (f.succeeded()) {
                                f.result().close();
                                ok++;
                            } else {
                                errors.add(ServingException.of(f.cause()).getMessage());
                            }
                        }
                        return ok > 0
                                ? Future.<Void>succeededFuture()
                                : Future.failedFuture(ServingException.unavailable(String.join("; ", errors)));
                    });
                });
    }

    /** Unloads every version of a model; in explicit mode the model also stops being served. */
    public Future<Void> unloadModel(String name) {
        ModelNames.validate(name);
        ModelRecord r = models.get(name);
        if (r == null) {
            return Future.failedFuture(ServingException.notFound("model '" + name + "' is not loaded"));
        }
        if (mode == ControlMode.EXPLICIT) {
            models.remove(name);
        }
        List<Future<Void>> unloads = new ArrayList<>();
        for (long v : residentVersions(name)) {
            unloads.add(Future.fromCompletionStage(pool.unload(new ModelKey(name, v)), vertx.getOrCreateContext()));
        }
        return Future.all(unloads).mapEmpty();
    }

    // ---------------------------------------------------------------- views

    public ModelRecord record(String name) {
        ModelNames.validate(name);
        ModelRecord r = models.get(name);
        if (r == null) {
            throw ServingException.notFound(
                    mode == ControlMode.EXPLICIT
                            ? "model '" + name + "' is not loaded; load it through the repository API"
                            : "model '" + name + "' is not in the repository");
        }
        return r;
    }

    public static Optional<Long> parseVersion(String version) {
        if (version == null || version.isEmpty()) {
            return Optional.empty();
        }
        if (!version.matches("[1-9][0-9]{0,17}")) {
            throw ServingException.invalid(
                    "model version '" + ModelNames.printable(version) + "' is not a positive integer");
        }
        return Optional.of(Long.parseLong(version));
    }

    /**
     * What {@code ModelReady} answers. Unknown models, unknown or malformed versions are simply not
     * ready (never an error, as in Triton). {@link ModelReadiness#SERVABLE}: the version a request would
     * get is served and not known to have failed its gate (a call may pay a load, here or on a peer);
     * {@link ModelReadiness#LOADED}: it is loaded on this node.
     */
    public boolean ready(String name, String version, ModelReadiness readiness) {
        if (!ModelNames.isValid(name)) {
            return false;
        }
        ModelRecord r = models.get(name);
        if (r == null) {
            return false;
        }
        Optional<Long> explicit;
        try {
            explicit = parseVersion(version);
        } catch (ServingException e) {
            return false;
        }
        Optional<Long> v = explicit.or(r::top);
        if (v.isEmpty() || !r.served().contains(v.get())) {
            return false;
        }
        if (readiness == ModelReadiness.LOADED) {
            return pool.resident(new ModelKey(name, v.get())).isPresent();
        }
        return !r.failures().containsKey(v.get())
                && (r.config().isPresent() || r.configProblem().isEmpty());
    }

    /** One row per model version for RepositoryIndex. */
    public List<IndexEntry> index(boolean readyOnly) {
        return IndexView.rows(new ArrayList<>(models.values()), pool.snapshot(), readyOnly);
    }

    private List<IndexEntry> indexOf(String name) {
        ModelRecord r = models.get(name);
        return r == null ? List.of() : IndexView.rows(List.of(r), pool.snapshot(), false);
    }

    /** A row of the repository index. */
    public record IndexEntry(String name, String version, String state, String reason, String sha256) {}

    /** The config and versions that metadata reports; derives the config from the graph when there is none. */
    public Future<ModelView> describe(String name, String version) {
        ModelRecord r = record(name);
        Optional<Long> explicit = parseVersion(version);
        if (explicit.isPresent() && !r.served().contains(explicit.get())) {
            throw ServingException.notFound("model '" + name + "' has no version " + explicit.get()
                    + " being served; served versions: " + r.served());
        }
        long v = explicit.or(r::top)
                .or(() -> r.retained().isEmpty()
                        ? Optional.empty()
                        : Optional.of(r.retained().last()))
                .orElseThrow(() -> ServingException.unavailable("model '" + name + "' has no version to serve"));
        Optional<LoadedModel> resident = pool.resident(new ModelKey(name, v));
        if (resident.isPresent()) {
            return Future.succeededFuture(new ModelView(r, v, resident.get().config(), indexOf(name)));
        }
        Optional<ModelConfig> declared = r.config();
        if (declared.isPresent()
                && (declared.get().getInputCount() > 0 || declared.get().getOutputCount() > 0)) {
            return Future.succeededFuture(new ModelView(r, v, declared.get(), indexOf(name)));
        }
        if (declared.isEmpty() && r.configProblem().isPresent()) {
            throw ServingException.unavailable(
                    "model '" + name + "' is unavailable: " + r.configProblem().get());
        }
        // No config, or one that lists no tensors: complete it from the graph (what the load will do).
        return repoWorker
                .executeBlocking(
                        () -> {
                            Artifact a = repo.read(name, v);
                            OnnxModelInfo info = OnnxInspector.inspect(name, a.bytes(), ScanLimits.defaults());
                            return declared.map(c -> ModelConfigs.autoComplete(c, info))
                                    .orElseGet(() -> ModelConfigs.derive(name, info));
                        },
                        false)
                .recover(t -> Future.failedFuture(ServingException.unavailable(
                        "model '" + name + "' version " + v + " is unavailable: " + t.getMessage())))
                .map(c -> new ModelView(r, v, c, indexOf(name)));
    }

    /** What metadata shows of a model. */
    public record ModelView(ModelRecord record, long version, ModelConfig config, List<IndexEntry> index) {
        public String name() {
            return record.name();
        }

        public List<Long> versions() {
            return new ArrayList<>(record.served());
        }
    }

    /**
     * The version a request should be routed by, or empty when this node should simply serve it
     * (a served version is resident here, or nothing could be served: the local path then answers
     * with the precise error).
     */
    public Optional<Long> routingVersion(String name, String version) {
        ModelRecord r = record(name);
        Optional<Long> explicit = parseVersion(version);
        if (explicit.isPresent()) {
            long v = explicit.get();
            boolean routable = r.served().contains(v)
                    && !r.failures().containsKey(v)
                    && pool.resident(new ModelKey(name, v)).isEmpty();
            return routable ? explicit : Optional.empty();
        }
        for (long v : r.served()) {
            if (pool.resident(new ModelKey(name, v)).isPresent()) {
                return Optional.empty();
            }
        }
        return r.top();
    }

    /** The artifact size of a version, from the last scan (0 if unknown). */
    public long artifactBytes(String name, long version) {
        ModelRecord r = models.get(name);
        return r == null
                ? 0
                : r.serving()
                        .version(version)
                        .or(() -> r.scanned().version(version))
                        .map(ModelEntry.VersionEntry::sizeBytes)
                        .orElse(0L);
    }

    /**
     * The predicted footprint of a version ({@link ModelConfigs#predictedBytes}): what the mesh, the
     * router and the admin API expect it to take, the same figure the device reserves before loading.
     */
    public long predictedBytes(String name, long version) {
        ModelRecord r = models.get(name);
        return ModelConfigs.predictedBytes(
                r == null ? Optional.empty() : r.config(), artifactBytes(name, version), footprintFactor);
    }

    /** What placement needs to know of one served model version. */
    public record PlacementSpec(
            String model,
            long version,
            long artifactBytes,
            long predictedBytes,
            boolean pinned,
            int minCopies,
            int maxCopies,
            long idleTtlSeconds) {}

    /**
     * The served top version of every model with its placement parameters from config.pbtxt:
     * {@code pinned}, {@code min_copies}, {@code max_copies} (0 = no cap) and {@code idle_ttl_seconds}
     * (0 = never unloaded for idleness).
     */
    public List<PlacementSpec> placementSpecs() {
        List<PlacementSpec> out = new ArrayList<>();
        for (ModelRecord r : models.values()) {
            Optional<Long> top = r.top();
            if (top.isEmpty()) {
                continue;
            }
            ModelConfig c = r.config().orElse(ModelConfig.getDefaultInstance());
            out.add(new PlacementSpec(
                    r.name(),
                    top.get(),
                    artifactBytes(r.name(), top.get()),
                    predictedBytes(r.name(), top.get()),
                    ModelConfigs.pinned(c),
                    ModelConfigs.wholeNumberParameter(c, "min_copies"),
                    ModelConfigs.wholeNumberParameter(c, "max_copies"),
                    ModelConfigs.wholeNumberParameter(c, "idle_ttl_seconds")));
        }
        return out;
    }

    /** Loads one version here (a placement decision); completes when it is ready. */
    public Future<Void> loadVersion(String name, long version) {
        ModelRecord r = record(name);
        return load(name, version, r).map(lease -> {
            lease.close();
            return null;
        });
    }

    /** Unloads one version here (a placement decision). */
    public Future<Void> unloadVersion(String name, long version) {
        return Future.fromCompletionStage(pool.unload(new ModelKey(name, version)), vertx.getOrCreateContext());
    }

    /**
     * The versions of a model that take traffic (selected by its version policy, plus retained
     * ones), ascending; fails with NOT_FOUND for a model the catalog does not hold.
     */
    public List<Long> servedVersions(String name) {
        return new ArrayList<>(record(name).served());
    }

    /** Reads the label file {@code fileName} of a model (off the event loop); empty lines included. */
    public Future<List<String>> labels(String name, String fileName) {
        return repoWorker
                .executeBlocking(() -> repo.readLabels(name, fileName), false)
                .recover(t -> Future.failedFuture(ServingException.unavailable(
                        "model '" + name + "': its label file cannot be read: " + t.getMessage())));
    }

    /** Whether {@code name} is a model of the catalog (a safe metrics label). */
    public boolean knows(String name) {
        return models.containsKey(name);
    }

    public int modelCount() {
        return models.size();
    }

    private Set<Long> residentVersions(String name) {
        Set<Long> out = new HashSet<>();
        for (DeviceSnapshot d : pool.snapshot()) {
            for (DeviceSnapshot.Resident res : d.residents()) {
                if (res.key().model().equals(name) && res.state() != DeviceSnapshot.State.UNLOADING) {
                    out.add(res.key().version());
                }
            }
        }
        return out;
    }

    private static boolean sameConfig(ModelEntry a, ModelEntry b) {
        return a.config().equals(b.config()) && a.configError().equals(b.configError());
    }

    private List<String> compatibility(ModelEntry entry, Set<Long> resident) {
        if (entry.config().isEmpty()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (long v : resident) {
            pool.resident(new ModelKey(entry.name(), v))
                    .ifPresent(m -> out.addAll(
                            ModelConfigs.signatureMismatches(entry.config().get(), m.inputs(), m.outputs())));
        }
        return out;
    }

    /** Stops scanning; the pool is closed by its owner. */
    public void close() {
        closed = true;
    }
}
