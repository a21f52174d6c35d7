package dev.modelmux.node.path;

import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.repo.config.ModelOutput;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The label files of the outputs a classification asks for, read once per loaded model version and
 * kept for the {@value #MAX_ENTRIES} most recently used (a new version reads them again).
 */
final class LabelCache {
    static final int MAX_ENTRIES = 1024;

    private final ModelManager models;
    private final Map<String, List<String>> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    LabelCache(ModelManager models) {
        this.models = models;
    }

    /** The labels of each output of {@code model} that {@code outputs} names (empty for none). */
    Future<Function<String, List<String>>> of(LoadedModel model, Iterable<String> outputs) {
        Map<String, String> files = new HashMap<>();
        for (ModelOutput o : model.config().getOutputList()) {
            if (!o.getLabelFilename().isEmpty()) {
                files.put(o.getName(), o.getLabelFilename());
            }
        }
        Map<String, List<String>> found = new HashMap<>();
        List<Future<?>> reads = new ArrayList<>();
        for (String out : outputs) {
            String file = files.get(out);
            if (file == null) {
                continue;
            }
            String key = model.key() + "/" + file;
            List<String> hit;
            synchronized (cache) {
                hit = cache.get(key);
            }
            if (hit != null) {
                found.put(out, hit);
                continue;
            }
            reads.add(models.labels(model.key().model(), file).onSuccess(labels -> {
                synchronized (cache) {
                    cache.put(key, labels);
                }
                synchronized (found) {
                    found.put(out, labels);
                }
            }));
        }
        return Future.all(reads).map(v -> name -> found.getOrDefault(name, List.of()));
    }
}
