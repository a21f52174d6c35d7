package dev.modelmux.cluster;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Sizes and load costs of model versions, shared cluster-wide. Every update is an atomic
 * read-modify-write on the key's owner (an entry processor), so concurrent updates from any node
 * are never lost while the cluster is whole.
 */
public interface ModelCatalog {

    /** Records the predicted size of a version (creating its entry); measurements are kept. */
    CompletableFuture<CatalogEntry> predict(ModelKey key, long predictedBytes);

    /**
     * Adds one measurement of a real load: the measured size (the entry keeps the largest seen, so
     * a budget computed from it holds) and the load time (summed, with the sample count).
     *
     * @return the entry after this measurement
     */
    CompletableFuture<CatalogEntry> recordMeasured(ModelKey key, long measuredBytes, long loadMillis);

    CompletableFuture<Optional<CatalogEntry>> get(ModelKey key);

    CompletableFuture<Map<ModelKey, CatalogEntry>> all();

    /** Forgets a version (retired from the repository). */
    CompletableFuture<Void> remove(ModelKey key);
}
