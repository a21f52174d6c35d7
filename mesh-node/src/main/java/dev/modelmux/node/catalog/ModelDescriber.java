package dev.modelmux.node.catalog;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.OnnxInspector;
import dev.modelmux.repo.OnnxModelInfo;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.config.ModelConfig;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * What model metadata shows: the config of the resident copy, else the declared one, else one
 * derived from the graph (read on the repository worker), as the load would derive it.
 */
final class ModelDescriber {
    /** Derived configurations kept (a few KiB each); past it, the least recently used goes. */
    static final int DERIVED_CONFIGS = 4096;

    private final ModelRepository repo;
    private final DevicePool pool;
    private final WorkerExecutor repoWorker;
    private final Function<String, List<ModelManager.IndexEntry>> indexOf;
    private final FutureCache<ModelConfig> derived = new FutureCache<>(DERIVED_CONFIGS);

    ModelDescriber(
            ModelRepository repo,
            DevicePool pool,
            WorkerExecutor repoWorker,
            Function<String, List<ModelManager.IndexEntry>> indexOf) {
        this.repo = repo;
        this.pool = pool;
        this.repoWorker = repoWorker;
        this.indexOf = indexOf;
    }

    /** See {@link ModelManager#describe}. */
    Future<ModelManager.ModelView> describe(ModelRecord r, Optional<Long> explicit) {
        String name = r.name();
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
            return Future.succeededFuture(view(r, v, resident.get().config()));
        }
        Optional<ModelConfig> declared = r.config();
        if (declared.isPresent()
                && (declared.get().getInputCount() > 0 || declared.get().getOutputCount() > 0)) {
            return Future.succeededFuture(view(r, v, declared.get()));
        }
        if (declared.isEmpty() && r.configProblem().isPresent()) {
            throw ServingException.unavailable(
                    "model '" + name + "' is unavailable: " + r.configProblem().get());
        }
        // No config, or one that lists no tensors: complete it from the graph (what the load will do),
        // once per version and file fingerprint, however many callers ask at once.
        String key = name + '\u0000' + v + '\u0000' + r.serving().fingerprint();
        return derived.get(
                        key,
                        () -> repoWorker
                                .executeBlocking(
                                        () -> {
                                            Artifact a = repo.read(name, v);
                                            OnnxModelInfo info =
                                                    OnnxInspector.inspect(name, a.content(), ScanLimits.defaults());
                                            return declared.map(c -> ModelConfigs.autoComplete(c, info))
                                                    .orElseGet(() -> ModelConfigs.derive(name, info));
                                        },
                                        false)
                                .recover(t -> Future.failedFuture(ServingException.unavailable(
                                        "model '" + name + "' version " + v + " is unavailable: " + t.getMessage()))))
                .map(c -> view(r, v, c));
    }

    private ModelManager.ModelView view(ModelRecord r, long version, ModelConfig config) {
        return new ModelManager.ModelView(r, version, config, indexOf.apply(r.name()));
    }

    /** Reads the label file {@code fileName} of a model (off the event loop); empty lines included. */
    Future<List<String>> labels(String name, String fileName) {
        return repoWorker
                .executeBlocking(() -> repo.readLabels(name, fileName), false)
                .recover(t -> Future.failedFuture(ServingException.unavailable(
                        "model '" + name + "': its label file cannot be read: " + t.getMessage())));
    }
}
