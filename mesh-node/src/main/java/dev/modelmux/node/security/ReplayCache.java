package dev.modelmux.node.security;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The nonces of the hops a node has accepted, each kept while a copy of its hop could still pass the
 * timestamp check: a hop stamped {@code ts} is acceptable while {@code now <= ts + window}, so its nonce
 * is kept until then (in buckets of one second, by the second that bound falls in), and forgotten after.
 *
 * <p>Bounded: at most {@code capacity} nonces. When full of nonces that have not expired it refuses new
 * ones ({@link Verdict#FULL}) rather than forget one early, since forgetting would let that hop be
 * replayed. Only hops whose tag verified reach it, so only a holder of the hop key can fill it.
 *
 * <p>Time is passed in; thread-safe (event loops share it).
 */
public final class ReplayCache {
    /** What became of one nonce. */
    public enum Verdict {
        /** Not seen in the window: remembered now. */
        FRESH,
        /** Seen in the window: a replay. */
        REPLAYED,
        /** Not seen, but the cache is full of nonces still in their window: refused, not remembered. */
        FULL
    }

    /** The default size: ~15 MB at most; with clocks in step a nonce is kept ~30 s, so ~8,000 hops/s. */
    public static final int DEFAULT_CAPACITY = 250_000;

    private final long windowMillis;
    private final int capacity;
    /** Second index (the one {@code ts + window} falls in) to the nonces stamped so. */
    private final TreeMap<Long, Set<Long>> buckets = new TreeMap<>();

    private int size;

    public ReplayCache(long windowMillis, int capacity) {
        if (windowMillis < 0 || capacity < 1) {
            throw new IllegalArgumentException("window must be >= 0 and capacity >= 1");
        }
        this.windowMillis = windowMillis;
        this.capacity = capacity;
    }

    /**
     * Records {@code nonce} of a hop stamped {@code timestampMillis}, received at {@code nowMillis}
     * (the caller has refused timestamps outside the window).
     */
    public synchronized Verdict admit(long nonce, long timestampMillis, long nowMillis) {
        expire(nowMillis);
        long bucket = Math.floorDiv(timestampMillis + windowMillis, 1000L);
        Set<Long> seen = buckets.get(bucket);
        // A replay carries the same (signed) timestamp, so it falls in the same bucket.
        if (seen != null && seen.contains(nonce)) {
            return Verdict.REPLAYED;
        }
        if (size >= capacity) {
            return Verdict.FULL;
        }
        buckets.computeIfAbsent(bucket, b -> new HashSet<>()).add(nonce);
        size++;
        return Verdict.FRESH;
    }

    /** Nonces held now. */
    public synchronized int size() {
        return size;
    }

    /** Drops the buckets whose every hop is past {@code ts + window}: {@code now >= (bucket + 1) s}. */
    private void expire(long nowMillis) {
        while (!buckets.isEmpty()) {
            Map.Entry<Long, Set<Long>> first = buckets.firstEntry();
            if ((first.getKey() + 1) * 1000L > nowMillis) {
                return;
            }
            size -= first.getValue().size();
            buckets.pollFirstEntry();
        }
    }
}
