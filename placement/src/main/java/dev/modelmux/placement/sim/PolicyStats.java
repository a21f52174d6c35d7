package dev.modelmux.placement.sim;

/**
 * What a policy did over a trace.
 *
 * @param bytesAccessed sum of the sizes of all accessed models
 * @param bytesHit sum of the sizes of accessed models that were resident
 * @param loadNanos time spent loading on misses (what a miss costs the caller)
 */
public record PolicyStats(
        String policy, long accesses, long hits, long bytesAccessed, long bytesHit, long evictions, long loadNanos) {

    public double hitRatio() {
        return accesses == 0 ? 0 : (double) hits / accesses;
    }

    /** Bytes of hits over bytes of all accesses. */
    public double byteHitRatio() {
        return bytesAccessed == 0 ? 0 : (double) bytesHit / bytesAccessed;
    }
}
