package dev.modelmux.gpu.internal;

import static dev.modelmux.gpu.DeviceSnapshot.State.LOADING;
import static dev.modelmux.gpu.DeviceSnapshot.State.READY;
import static dev.modelmux.gpu.DeviceSnapshot.State.UNLOADING;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.internal.EvictionPolicy.Candidate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EvictionPolicyTest {
    private static final long GIB = 1L << 30;
    private static final long SECOND = 1_000_000_000L;

    /** A fake clock: nothing here reads real time. */
    private long now = 1_000 * SECOND;

    private static Candidate ready(String name, long bytes, long lastUsed) {
        return new Candidate(new ModelKey(name, 1), READY, bytes, false, 0, lastUsed, 0);
    }

    private static List<String> names(Optional<List<Candidate>> victims) {
        return victims.orElseThrow().stream().map(c -> c.key().model()).toList();
    }

    @Test
    void evictsLeastRecentlyUsedFirstAndOnlyAsManyAsNeeded() {
        EvictionPolicy policy = new EvictionPolicy(0);
        List<Candidate> residents = List.of(
                ready("warm", 3 * GIB, 30),
                ready("cold", 3 * GIB, 10),
                ready("mild", 3 * GIB, 20),
                ready("hot", 3 * GIB, 40));
        assertThat(names(policy.select(residents, 1, now))).containsExactly("cold");
        assertThat(names(policy.select(residents, 3 * GIB, now))).containsExactly("cold");
        assertThat(names(policy.select(residents, 3 * GIB + 1, now))).containsExactly("cold", "mild");
        assertThat(names(policy.select(residents, 12 * GIB, now))).containsExactly("cold", "mild", "warm", "hot");
        assertThat(policy.select(residents, 0, now)).contains(List.of());
    }

    @Test
    void neverInFlightPinnedLoadingOrUnloading() {
        EvictionPolicy policy = new EvictionPolicy(0);
        ModelKey k = new ModelKey("x", 1);
        List<Candidate> residents = List.of(
                new Candidate(new ModelKey("leased", 1), READY, 4 * GIB, false, 1, 0, 0),
                new Candidate(new ModelKey("pinned", 1), READY, 4 * GIB, true, 0, 1, 0),
                new Candidate(new ModelKey("loading", 1), LOADING, 4 * GIB, false, 0, 2, 0),
                new Candidate(new ModelKey("unloading", 1), UNLOADING, 4 * GIB, false, 0, 3, 0),
                new Candidate(k, READY, 4 * GIB, false, 0, 100, 0));
        assertThat(names(policy.select(residents, 4 * GIB, now))).containsExactly("x");
        assertThat(policy.evictableBytes(residents, now)).isEqualTo(4 * GIB);
    }

    @Test
    void allOrNothingWhenCandidatesCannotFreeEnough() {
        EvictionPolicy policy = new EvictionPolicy(0);
        List<Candidate> residents = List.of(
                ready("a", 2 * GIB, 1),
                ready("b", 2 * GIB, 2),
                new Candidate(new ModelKey("busy", 1), READY, 10 * GIB, false, 3, 0, 0));
        assertThat(policy.select(residents, 4 * GIB, now)).isPresent();
        assertThat(policy.select(residents, 4 * GIB + 1, now)).isEmpty();
    }

    @Test
    void churnGuardSparesYoungResidentsUntilTheClockPassesIt() {
        EvictionPolicy policy = new EvictionPolicy(30 * SECOND);
        Candidate old =
                new Candidate(new ModelKey("old", 1), READY, GIB, false, 0, now - 100 * SECOND, now - 100 * SECOND);
        Candidate young =
                new Candidate(new ModelKey("young", 1), READY, GIB, false, 0, now - 50 * SECOND, now - 10 * SECOND);
        List<Candidate> residents = List.of(young, old);
        assertThat(policy.select(residents, 2 * GIB, now)).isEmpty();
        assertThat(names(policy.select(residents, GIB, now))).containsExactly("old");

        now += 20 * SECOND; // young is now exactly 30 s old
        assertThat(names(policy.select(residents, 2 * GIB, now))).containsExactly("old", "young");
    }

    @Test
    void clockNearOverflowStillComparesByDifference() {
        EvictionPolicy policy = new EvictionPolicy(10);
        long loadedAt = Long.MAX_VALUE - 5;
        Candidate c = new Candidate(new ModelKey("wrap", 1), READY, 1, false, 0, loadedAt, loadedAt);
        assertThat(policy.evictable(c, loadedAt + 9)).isFalse();
        assertThat(policy.evictable(c, loadedAt + 10)).isTrue(); // wraps past Long.MAX_VALUE
    }

    @Test
    void tiesBreakByKeyForDeterminism() {
        EvictionPolicy policy = new EvictionPolicy(0);
        List<Candidate> residents = new ArrayList<>();
        for (String n : List.of("d", "b", "c", "a")) {
            residents.add(ready(n, 1, 7));
        }
        assertThat(names(policy.select(residents, 2, now))).containsExactly("a", "b");
    }

    @Test
    void snapshotStatesAreTheOnesThePolicyKnows() {
        assertThat(DeviceSnapshot.State.values()).containsExactly(LOADING, READY, UNLOADING);
    }
}
