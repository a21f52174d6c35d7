package dev.modelmux.node.endpoints;

import java.nio.charset.StandardCharsets;

/**
 * Murmur3 (x86, 32-bit) over UTF-8 bytes: the same key lands in the same bucket on every node and
 * across restarts, which is what makes a canary sticky per entity.
 */
public final class StableHash {
    /** Buckets a key falls into: shares are counted in hundredths of a percent. */
    public static final int BUCKETS = 10_000;

    private StableHash() {}

    /** The bucket of {@code key} under {@code salt} (the endpoint's name, so endpoints split independently), in [0, 10000). */
    public static int bucket(String salt, String key) {
        int h = murmur3(salt + '\u0000' + key, 0x9747b28c);
        return (int) (Integer.toUnsignedLong(h) % BUCKETS);
    }

    /** Whether {@code key} is in the first {@code share} (in [0, 1]) of the buckets. */
    public static boolean sampled(String salt, String key, double share) {
        return share >= 1.0 || (share > 0 && bucket(salt, key) < share * BUCKETS);
    }

    static int murmur3(String s, int seed) {
        byte[] data = s.getBytes(StandardCharsets.UTF_8);
        final int c1 = 0xcc9e2d51;
        final int c2 = 0x1b873593;
        int h = seed;
        int n = data.length & ~3;
        for (int i = 0; i < n; i += 4) {
            int k = (data[i] & 0xff) | (data[i + 1] & 0xff) << 8 | (data[i + 2] & 0xff) << 16 | data[i + 3] << 24;
            k *= c1;
            k = Integer.rotateLeft(k, 15);
            k *= c2;
            h ^= k;
            h = Integer.rotateLeft(h, 13);
            h = h * 5 + 0xe6546b64;
        }
        int tail = data.length & 3;
        if (tail > 0) {
            int k = 0;
            if (tail == 3) {
                k ^= (data[n + 2] & 0xff) << 16;
            }
            if (tail >= 2) {
                k ^= (data[n + 1] & 0xff) << 8;
            }
            k ^= data[n] & 0xff;
            k *= c1;
            k = Integer.rotateLeft(k, 15);
            k *= c2;
            h ^= k;
        }
        h ^= data.length;
        h ^= h >>> 16;
        h *= 0x85ebca6b;
        h ^= h >>> 13;
        h *= 0xc2b2ae35;
        h ^= h >>> 16;
        return h;
    }
}
