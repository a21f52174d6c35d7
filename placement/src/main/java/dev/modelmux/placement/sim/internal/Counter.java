package dev.modelmux.placement.sim.internal;

import dev.modelmux.placement.sim.Access;
import dev.modelmux.placement.sim.PolicyStats;

/** Running totals for one policy. */
final class Counter {
    private long accesses;
    private long hits;
    private long bytesAccessed;
    private long bytesHit;
    private long evictions;
    private long loadNanos;

    void access(Access a, boolean hit) {
        accesses++;
        bytesAccessed += a.sizeBytes();
        if (hit) {
            hits++;
            bytesHit += a.sizeBytes();
        } else {
            loadNanos += a.loadNanos();
        }
    }

    void evicted() {
        evictions++;
    }

    PolicyStats stats(String policy) {
        return new PolicyStats(policy, accesses, hits, bytesAccessed, bytesHit, evictions, loadNanos);
    }
}
