package dev.modelmux.admission.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RateLimiterTest {
    static final long S = 1_000_000_000L;

    @Test
    void burstThenRateThenRecovery() {
        long now = -5 * S; // nanoTime may be negative
        RateLimiter r = RateLimiter.of(10, 3, now);
        assertThat(r.tryAcquire(now)).isZero();
        assertThat(r.tryAcquire(now)).isZero();
        assertThat(r.tryAcquire(now)).isZero();
        assertThat(r.tryAcquire(now)).isEqualTo(S / 10);
        assertThat(r.tryAcquire(now + S / 20)).isEqualTo(S / 20);
        assertThat(r.tryAcquire(now + S / 10)).isZero();
        assertThat(r.tryAcquire(now + S / 10)).isEqualTo(S / 10);
        // idle for long: refills to burst, not beyond
        long later = now + 100 * S;
        for (int i = 0; i < 3; i++) {
            assertThat(r.tryAcquire(later)).isZero();
        }
        assertThat(r.tryAcquire(later)).isPositive();
    }

    @Test
    void unlimited() {
        RateLimiter r = RateLimiter.of(0, 1, 0);
        for (int i = 0; i < 10_000; i++) {
            assertThat(r.tryAcquire(0)).isZero();
        }
    }

    @Test
    void nodeSplit() {
        RateLimiter r = RateLimiter.forNode(100, 10, 4, 0);
        assertThat(r.rate()).isEqualTo(25);
        assertThat(r.burst()).isEqualTo(2);
        assertThat(RateLimiter.forNode(100, 3, 8, 0).burst()).isEqualTo(1);
    }
}
