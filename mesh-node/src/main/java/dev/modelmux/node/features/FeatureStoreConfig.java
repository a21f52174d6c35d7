package dev.modelmux.node.features;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The feature store's settings.
 *
 * @param file         JSON lines loaded into the store at start-up when it is empty ({@code --features})
 * @param lookupDelay  an artificial delay before every store lookup: a fault-injection setting for
 *                     tests and drills ({@code feature-store-delay-ms}); 0 in production
 * @param cacheEntries most (entity, feature) values one node caches
 */
public record FeatureStoreConfig(Optional<Path> file, Duration lookupDelay, int cacheEntries) {

    public static final int DEFAULT_CACHE_ENTRIES = 100_000;

    public FeatureStoreConfig {
        Objects.requireNonNull(file, "features");
        Objects.requireNonNull(lookupDelay, "feature-store-delay-ms");
        if (lookupDelay.isNegative()) {
            throw new IllegalArgumentException("feature-store-delay-ms: must be >= 0, was " + lookupDelay.toMillis());
        }
        if (cacheEntries < 0) {
            throw new IllegalArgumentException("feature-cache-entries: must be >= 0, was " + cacheEntries);
        }
    }

    public static FeatureStoreConfig defaults() {
        return new FeatureStoreConfig(Optional.empty(), Duration.ZERO, DEFAULT_CACHE_ENTRIES);
    }

    public FeatureStoreConfig withFile(Path f) {
        return new FeatureStoreConfig(Optional.of(f), lookupDelay, cacheEntries);
    }

    public FeatureStoreConfig withLookupDelay(Duration d) {
        return new FeatureStoreConfig(file, d, cacheEntries);
    }
}
