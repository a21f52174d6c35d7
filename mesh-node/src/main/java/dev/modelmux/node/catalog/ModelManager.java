package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.config.ModelConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Predicate;

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
    private final Vertx vertx;
    private final ModelRepository repo;
    private final DevicePool pool;
    private final ControlMode mode;
    private final double footprintFactor;
    private final ConcurrentHashMap<String, ModelRecord> models = new ConcurrentHashMap<>();
    private final VersionGate gate;
    private final RepositoryScan scan;
    private final RepositoryControl control;
    private final ModelDescriber describer;
    private volatile boolean closed;

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
        this.mode = mode;
        Residency residency = new Residency(pool);
        this.gate = new VersionGate(vertx, repo, pool, models, residency, () -> closed);
        this.scan = new RepositoryScan(repo, repoWorker, mode, models, residency, gate, () -> closed);
        this.control = new RepositoryControl(vertx, repo, pool, repoWorker, mode, models, residency, scan, gate);
        this.describer = new ModelDescriber(repo, pool, repoWorker, this::indexOf);
    }

    /** Sets where runtime pins come from (the operators' shared settings). */
    public void runtimePins(Predicate<String> pins) {
        gate.runtimePins(pins);
    }

    /** Whether the model's config.pbtxt pins it (runtime pins aside); false for an unknown model. */
    public boolean configPinned(String name) {
        ModelRecord r = models.get(name);
        return r != null && r.config().map(ModelConfigs::pinned).orElse(false);
    }

    /** Whether forwards of the model may be hedged (config parameter {@code hedging}, default true). */
    public boolean hedgingAllowed(String name) {
        ModelRecord r = models.get(name);
        return r == null || r.config().map(ModelConfigs::hedging).orElse(true);
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

    /** Rescans the whole repository (poll mode) or the registered models (explicit mode). */
    public Future<Void> rescan() {
        return scan.rescan();
    }

    /** Merges a fresh scan into the catalog and starts whatever gating it calls for. */
    void apply(ModelEntry entry) {
        scan.apply(entry);
    }

    /**
     * A lease on the version that serves {@code (name, version)}; loads it if needed (concurrent
     * first requests share one load). The future completes on the caller's context.
     */
    public Future<Lease> acquire(String name, String version) {
        ModelRecord r = record(name);
        return gate.acquire(r, parseVersion(version));
    }

    /**
     * As {@link #acquire(String, String)}, but when the version is not resident yet, {@code beforeLoad}
     * first sees its configuration (declared, or derived from the graph) and may refuse the request by
     * throwing: a request that cannot run then never loads a model or evicts another. When no
     * configuration can be had without the load, the load decides.
     */
    public Future<Lease> acquire(String name, String version, Consumer<ModelView> beforeLoad) {
        ModelRecord r = record(name);
        Optional<Long> v = parseVersion(version);
        Optional<Long> target = v.or(r::top);
        if (target.isPresent()
                && pool.resident(new ModelKey(name, target.get())).isPresent()) {
            return gate.acquire(r, v);
        }
        Future<ModelView> view;
        try {
            view = describer.describe(r, v);
        } catch (RuntimeException e) {
            return gate.acquire(r, v);
        }
        return view.transform(ar -> {
            if (ar.succeeded()) {
                beforeLoad.accept(ar.result());
            }
            return gate.acquire(models.getOrDefault(name, r), v);
        });
    }

    /**
     * Loads (or reloads) a model: rescans it, clears its failures and gates every selected version
     * now. Fails with UNAVAILABLE if none passes.
     */
    public Future<Void> loadModel(String name) {
        return control.load(name);
    }

    /** Unloads every version of a model; in explicit mode the model also stops being served. */
    public Future<Void> unloadModel(String name) {
        return control.unload(name);
    }

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
        return describer.describe(r, parseVersion(version));
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
        return gate.load(name, version, r).map(lease -> {
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
        return describer.labels(name, fileName);
    }

    /** Whether {@code name} is a model of the catalog (a safe metrics label). */
    public boolean knows(String name) {
        return models.containsKey(name);
    }

    public int modelCount() {
        return models.size();
    }

    /** Stops scanning; the pool is closed by its owner. */
    public void close() {
        closed = true;
    }
}
