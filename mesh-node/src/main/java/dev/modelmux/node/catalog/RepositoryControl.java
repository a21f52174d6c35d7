package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.RepositoryException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentMap;

/** The repository API's load and unload of a whole model (the only way models come and go in explicit mode). */
final class RepositoryControl {
    private final Vertx vertx;
    private final ModelRepository repo;
    private final DevicePool pool;
    private final WorkerExecutor repoWorker;
    private final ControlMode mode;
    private final ConcurrentMap<String, ModelRecord> models;
    private final Residency residency;
    private final RepositoryScan scan;
    private final VersionGate gate;

    RepositoryControl(
            Vertx vertx,
            ModelRepository repo,
            DevicePool pool,
            WorkerExecutor repoWorker,
            ControlMode mode,
            ConcurrentMap<String, ModelRecord> models,
            Residency residency,
            RepositoryScan scan,
            VersionGate gate) {
        this.vertx = vertx;
        this.repo = repo;
        this.pool = pool;
        this.repoWorker = repoWorker;
        this.mode = mode;
        this.models = models;
        this.residency = residency;
        this.scan = scan;
        this.gate = gate;
    }

    /** See {@link ModelManager#loadModel}. */
    Future<Void> load(String name) {
        ModelNames.validate(name);
        return repoWorker
                .executeBlocking(() -> repo.scan(name), false)
                .recover(t -> Future.failedFuture(
                        t instanceof RepositoryException.NotFound
                                ? ServingException.notFound("model '" + name + "' is not in the repository")
                                : ServingException.unavailable("model '" + name + "': " + t.getMessage())))
                .compose(entry -> {
                    models.compute(name, (n, old) -> RecordMerge.withoutFailures(scan.merge(old, entry)));
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
                        loads.add(gate.load(name, v, r));
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

    /** See {@link ModelManager#unloadModel}. */
    Future<Void> unload(String name) {
        ModelNames.validate(name);
        ModelRecord r = models.get(name);
        if (r == null) {
            return Future.failedFuture(ServingException.notFound("model '" + name + "' is not loaded"));
        }
        if (mode == ControlMode.EXPLICIT) {
            models.remove(name);
        }
        List<Future<Void>> unloads = new ArrayList<>();
        for (long v : residency.versions(name)) {
            unloads.add(Future.fromCompletionStage(pool.unload(new ModelKey(name, v)), vertx.getOrCreateContext()));
        }
        return Future.all(unloads).mapEmpty();
    }
}
