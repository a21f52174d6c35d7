package dev.modelmux.node.features.internal;

import dev.modelmux.cluster.FeatureTable;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the {@code --features} file (JSON lines) into the shared table once: only when the table
 * is empty, so a node joining a mesh that already holds features, or a restart, leaves the values
 * loaded since then alone. Two nodes seeding an empty mesh at the same moment may both load;
 * with one file that writes the same values twice.
 */
public final class FeatureSeed {
    private static final Logger LOG = LoggerFactory.getLogger(FeatureSeed.class);
    /** Values per batched write while streaming the file. */
    static final int CHUNK = 10_000;

    private FeatureSeed() {}

    /**
     * Blocking (call from a worker). Fails with a message naming the file and the line of a bad
     * entry; values of the lines before it are already loaded.
     *
     * @return the values written (0 when the table was not empty)
     */
    public static long seedIfEmpty(FeatureTable table, Path file) {
        try {
            if (!table.isEmpty().get(60, TimeUnit.SECONDS)) {
                LOG.info("features: the mesh's feature store already holds values; {} not loaded", file);
                return 0;
            }
            long[] written = {0};
            Map<String, Map<String, Double>> chunk = new HashMap<>();
            int[] pending = {0};
            int entities;
            try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                entities = FeatureBatch.lines(r, e -> {
                    chunk.computeIfAbsent(e.getKey(), k -> new HashMap<>()).putAll(e.getValue());
                    pending[0] += e.getValue().size();
                    if (pending[0] >= CHUNK) {
                        written[0] += write(table, chunk);
                        chunk.clear();
                        pending[0] = 0;
                    }
                });
            }
            written[0] += write(table, chunk);
            LOG.info("features: loaded {} values of {} entities from {}", written[0], entities, file);
            return written[0];
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("features: no such file " + file);
        } catch (IOException e) {
            throw new IllegalArgumentException("features: cannot read " + file + ": " + e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("features: " + file + " " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("features: interrupted while loading " + file);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("features: cannot reach the feature store: " + e);
        }
    }

    private static int write(FeatureTable table, Map<String, Map<String, Double>> chunk) {
        if (chunk.isEmpty()) {
            return 0;
        }
        try {
            return table.put(Map.copyOf(chunk)).join();
        } catch (CompletionException e) {
            throw new IllegalStateException("features: cannot write to the feature store: " + e.getCause());
        }
    }
}
