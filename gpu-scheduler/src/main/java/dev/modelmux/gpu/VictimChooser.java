package dev.modelmux.gpu;

import java.util.List;
import java.util.Optional;

/**
 * Chooses which evictable residents of a device to evict so that {@code bytesNeeded} fit. The pool
 * offers only residents that may be evicted (ready, unpinned, no request in flight, past the churn
 * guard) and checks the answer: victims must come from the offer and free enough, else the pool
 * falls back to least recently used. The default is least recently used; the mesh plugs in
 * placement's cost-aware evictor.
 */
@FunctionalInterface
public interface VictimChooser {

    /** An evictable resident: what it frees, when it was used and loaded, what reloading it costs. */
    record Candidate(ModelKey key, long bytes, long lastUsedNanos, long loadedAtNanos, long loadNanos, long uses) {}

    /** Victims freeing at least {@code bytesNeeded}, or empty when none will do. */
    Optional<List<ModelKey>> choose(List<Candidate> evictable, long bytesNeeded, long nowNanos);
}
