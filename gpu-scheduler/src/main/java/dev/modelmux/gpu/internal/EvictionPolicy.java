package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.ModelKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Chooses which residents of a device to evict so that a load fits: least recently used first,
 * all or nothing. Pure: time is an argument, so tests drive it with a fake clock.
 *
 * <p>A resident is evictable only when it is {@code READY}, not pinned, has no open lease, and was
 * loaded at least {@code guardNanos} ago (churn guard). Residents that are {@code LOADING} or
 * {@code UNLOADING} are never chosen; an unload in progress keeps its bytes counted until its
 * sessions have closed, so they are not offered as free either.
 */
public final class EvictionPolicy {

    /** What the policy needs to know about a resident. */
    public record Candidate(
            ModelKey key,
            DeviceSnapshot.State state,
            long bytes,
            boolean pinned,
            int inFlight,
            long lastUsedNanos,
            long loadedAtNanos) {}

    private static final Comparator<Candidate> LRU =
            Comparator.comparingLong(Candidate::lastUsedNanos).thenComparing(Candidate::key);

    private final long guardNanos;

    public EvictionPolicy(long guardNanos) {
        if (guardNanos < 0) {
            throw new IllegalArgumentException("guard must be >= 0 ns, was " + guardNanos);
        }
        this.guardNanos = guardNanos;
    }

    public boolean evictable(Candidate c, long nowNanos) {
        return c.state() == DeviceSnapshot.State.READY
                && !c.pinned()
                && c.inFlight() == 0
                // nanoTime-style clocks: compare differences, never absolute values.
                && nowNanos - c.loadedAtNanos() >= guardNanos;
    }

    /** Bytes that evicting every evictable resident would free. */
    public long evictableBytes(Collection<Candidate> residents, long nowNanos) {
        long sum = 0;
        for (Candidate c : residents) {
            if (evictable(c, nowNanos)) {
                sum += c.bytes();
            }
        }
        return sum;
    }

    /**
     * The victims that free at least {@code bytesNeeded}, least recently used first (ties by key),
     * or empty if all the evictable residents together cannot free that much. Never returns a
     * partial set. {@code bytesNeeded <= 0} needs no victims.
     */
    public Optional<List<Candidate>> select(Collection<Candidate> residents, long bytesNeeded, long nowNanos) {
        if (bytesNeeded <= 0) {
            return Optional.of(List.of());
        }
        List<Candidate> ordered = new ArrayList<>();
        for (Candidate c : residents) {
            if (evictable(c, nowNanos)) {
                ordered.add(c);
            }
        }
        ordered.sort(LRU);
        List<Candidate> victims = new ArrayList<>();
        long freed = 0;
        for (Candidate c : ordered) {
            if (freed >= bytesNeeded) {
                break;
            }
            victims.add(c);
            freed += c.bytes();
        }
        return freed >= bytesNeeded ? Optional.of(List.copyOf(victims)) : Optional.empty();
    }
}
