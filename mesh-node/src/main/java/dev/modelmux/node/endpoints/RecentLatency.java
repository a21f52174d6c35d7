package dev.modelmux.node.endpoints;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The recent latency of each model version as the decision path measured it (the last {@value
 * #SAMPLES} successful calls), for the ladder's "is the deadline near" test.
 */
final class RecentLatency {
    static final int SAMPLES = 32;

    private final Map<String, long[]> rings = new ConcurrentHashMap<>();
    private final Map<String, int[]> cursors = new ConcurrentHashMap<>();

    void record(EndpointSpec.TargetRef target, long nanos) {
        String key = target.toString();
        long[] ring = rings.computeIfAbsent(key, k -> new long[SAMPLES]);
        int[] cursor = cursors.computeIfAbsent(key, k -> new int[2]);
        synchronized (ring) {
            ring[cursor[0]] = nanos;
            cursor[0] = (cursor[0] + 1) % SAMPLES;
            cursor[1] = Math.min(SAMPLES, cursor[1] + 1);
        }
    }

    /** The median of the recent samples, in nanoseconds; 0 before the first. */
    long p50Nanos(EndpointSpec.TargetRef target) {
        String key = target.toString();
        long[] ring = rings.get(key);
        int[] cursor = cursors.get(key);
        if (ring == null || cursor == null) {
            return 0;
        }
        long[] copy;
        synchronized (ring) {
            if (cursor[1] == 0) {
                return 0;
            }
            copy = Arrays.copyOf(ring, cursor[1]);
        }
        Arrays.sort(copy);
        return copy[copy.length / 2];
    }
}
