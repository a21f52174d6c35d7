package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.ModelKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The byte accounting of one device: {@code used} by resident models (their measured size once
 * known), {@code reserved} for loads in flight (their predicted size). Pure arithmetic, no I/O.
 *
 * <p>Invariant, at every moment: {@code 0 <= used + reserved <= capacity}. Every operation that
 * could break it refuses instead and says by how much. A key holds either a reservation or a
 * commitment, never both. Thread-safe; callers may nest it inside their own lock (it never
 * calls out).
 */
public final class MemoryLedger {

    /** A consistent reading of the ledger. */
    public record Snapshot(long capacityBytes, long usedBytes, long reservedBytes) {
        public long freeBytes() {
            return capacityBytes - usedBytes - reservedBytes;
        }
    }

    /**
     * Outcome of {@link #commit}: committed, or refused because the measured size exceeds the
     * reservation plus the free bytes by {@code shortfallBytes} (the reservation is then kept).
     */
    public record Commit(boolean committed, long shortfallBytes) {
        static final Commit OK = new Commit(true, 0);
    }

    private final long capacity;
    private final Map<ModelKey, Long> reservations = new HashMap<>();
    private final Map<ModelKey, Long> commitments = new HashMap<>();
    private long used;
    private long reserved;

    public MemoryLedger(long capacityBytes) {
        if (capacityBytes <= 0) {
            throw new IllegalArgumentException("capacity must be > 0 bytes, was " + capacityBytes);
        }
        this.capacity = capacityBytes;
    }

    public long capacityBytes() {
        return capacity;
    }

    /**
     * Reserves {@code bytes} for a load of {@code key} if they are free now.
     *
     * @return false, changing nothing, if fewer than {@code bytes} are free
     * @throws IllegalStateException if {@code key} already holds a reservation or a commitment
     */
    public synchronized boolean tryReserve(ModelKey key, long bytes) {
        Objects.requireNonNull(key, "key");
        requireNonNegative(bytes);
        if (reservations.containsKey(key) || commitments.containsKey(key)) {
            throw new IllegalStateException(key + " is already in the ledger");
        }
        // No overflow: used + reserved <= capacity, all non-negative.
        if (bytes > capacity - used - reserved) {
            return false;
        }
        reservations.put(key, bytes);
        reserved += bytes;
        return true;
    }

    /**
     * Replaces the reservation of {@code key} by its measured size. If the measured size does not
     * fit in the reservation plus the free bytes, nothing changes and the shortfall is returned,
     * so that the caller can evict and retry, or fail the load.
     *
     * @throws IllegalStateException if {@code key} holds no reservation
     */
    public synchronized Commit commit(ModelKey key, long measuredBytes) {
        requireNonNegative(measuredBytes);
        Long held = reservations.get(key);
        if (held == null) {
            throw new IllegalStateException(key + " holds no reservation");
        }
        long room = capacity - used - reserved + held;
        if (measuredBytes > room) {
            return new Commit(false, measuredBytes - room);
        }
        reservations.remove(key);
        reserved -= held;
        commitments.put(key, measuredBytes);
        used += measuredBytes;
        return Commit.OK;
    }

    /** Releases whatever {@code key} holds (reservation or commitment); returns the bytes freed, 0 if none. */
    public synchronized long release(ModelKey key) {
        Long held = reservations.remove(key);
        if (held != null) {
            reserved -= held;
            return held;
        }
        held = commitments.remove(key);
        if (held != null) {
            used -= held;
            return held;
        }
        return 0;
    }

    /** What {@code key} holds, reserved or committed. */
    public synchronized OptionalLong bytesOf(ModelKey key) {
        Long held = reservations.get(key);
        if (held == null) {
            held = commitments.get(key);
        }
        return held == null ? OptionalLong.empty() : OptionalLong.of(held);
    }

    public synchronized long freeBytes() {
        return capacity - used - reserved;
    }

    public synchronized Snapshot snapshot() {
        return new Snapshot(capacity, used, reserved);
    }

    private static void requireNonNegative(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
    }
}
