package dev.modelmux.node.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.security.ReplayCache.Verdict;
import org.junit.jupiter.api.Test;

class ReplayCacheTest {
    private static final long WINDOW = 30_000;
    private static final long T0 = 1_700_000_000_000L; // a whole second

    @Test
    void aNonceIsAcceptedOnceWithinItsWindow() {
        ReplayCache c = new ReplayCache(WINDOW, 10);
        assertThat(c.admit(1, T0, T0)).isEqualTo(Verdict.FRESH);
        assertThat(c.admit(1, T0, T0 + 1)).isEqualTo(Verdict.REPLAYED);
        assertThat(c.admit(1, T0, T0 + WINDOW)).isEqualTo(Verdict.REPLAYED); // the last acceptable instant
        assertThat(c.admit(2, T0, T0 + 5)).isEqualTo(Verdict.FRESH);
        assertThat(c.size()).isEqualTo(2);
    }

    @Test
    void aNonceIsKeptUntilItsHopCouldNoLongerPassTheTimestampCheck() {
        ReplayCache c = new ReplayCache(WINDOW, 10);
        long ts = T0 + 250; // ts + window falls in second (T0 + 30 s) / 1000
        assertThat(c.admit(7, ts, T0)).isEqualTo(Verdict.FRESH);
        // Still kept at ts + window (a replay then would pass the timestamp check).
        assertThat(c.admit(8, T0, ts + WINDOW)).isEqualTo(Verdict.FRESH);
        assertThat(c.admit(7, ts, ts + WINDOW)).isEqualTo(Verdict.REPLAYED);
        // Dropped once the whole second of its bound has passed: by then the timestamp check refuses it.
        assertThat(c.admit(9, T0 + WINDOW + 1000, T0 + WINDOW + 1000)).isEqualTo(Verdict.FRESH);
        assertThat(c.size()).isEqualTo(1);
        assertThat(c.admit(7, ts, T0 + WINDOW + 1000)).isEqualTo(Verdict.FRESH);
    }

    @Test
    void aFullCacheRefusesNewNoncesRatherThanForgetOne() {
        ReplayCache c = new ReplayCache(WINDOW, 3);
        assertThat(c.admit(1, T0, T0)).isEqualTo(Verdict.FRESH);
        assertThat(c.admit(2, T0 + 10_000, T0 + 10_000)).isEqualTo(Verdict.FRESH);
        assertThat(c.admit(3, T0 + 20_000, T0 + 20_000)).isEqualTo(Verdict.FRESH);
        assertThat(c.admit(4, T0 + 20_000, T0 + 20_000)).isEqualTo(Verdict.FULL);
        // Full, yet a replay is still recognised as one, and every held nonce is still held.
        assertThat(c.admit(1, T0, T0 + 20_000)).isEqualTo(Verdict.REPLAYED);
        assertThat(c.size()).isEqualTo(3);
        // The first nonce's window ends: room for one more.
        assertThat(c.admit(4, T0 + 31_000, T0 + 31_000)).isEqualTo(Verdict.FRESH);
        assertThat(c.admit(5, T0 + 31_000, T0 + 31_000)).isEqualTo(Verdict.FULL);
        assertThat(c.admit(2, T0 + 10_000, T0 + 31_000)).isEqualTo(Verdict.REPLAYED);
        // Far later, everything has expired.
        assertThat(c.admit(6, T0 + 120_000, T0 + 120_000)).isEqualTo(Verdict.FRESH);
        assertThat(c.size()).isEqualTo(1);
    }

    @Test
    void timestampsFromTheFutureAreKeptLonger() {
        ReplayCache c = new ReplayCache(WINDOW, 10);
        long ahead = T0 + WINDOW; // a sender whose clock is 30 s ahead
        assertThat(c.admit(1, ahead, T0)).isEqualTo(Verdict.FRESH);
        assertThat(c.admit(1, ahead, T0 + 2 * WINDOW)).isEqualTo(Verdict.REPLAYED);
        assertThat(c.admit(2, T0 + 2 * WINDOW + 1000, T0 + 2 * WINDOW + 1000)).isEqualTo(Verdict.FRESH);
        assertThat(c.size()).isEqualTo(1);
    }
}
