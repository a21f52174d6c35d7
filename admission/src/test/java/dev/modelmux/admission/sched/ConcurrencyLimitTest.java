package dev.modelmux.admission.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ConcurrencyLimitTest {

    private static final long MS = 1_000_000L;

    @Test
    void growsUnderLowLatencyAndShrinksWhenRttRises() {
        ConcurrencyLimit limit = ConcurrencyLimit.create(ConcurrencyLimit.Config.defaults());
        long now = 0;
        for (int i = 0; i < 50; i++) {
            limit.onSample(now, 10 * MS, limit.limit(), false);
            now += 10 * MS;
        }
        int grown = limit.limit();
        assertThat(grown).isGreaterThan(20);

        for (int i = 0; i < 30; i++) {
            limit.onSample(now, 30 * MS, limit.limit(), false);
            now += 30 * MS;
        }
        assertThat(limit.limit()).isLessThan(grown);
    }

    @Test
    void dropsBackOffMultiplicativelyAndRespectBounds() {
        ConcurrencyLimit limit =
                ConcurrencyLimit.create(new ConcurrencyLimit.Config(100, 5, 200, 3, 6, 1.0, 0.5, 1000));
        limit.onSample(0, 10 * MS, 100, true);
        assertThat(limit.limit()).isEqualTo(50);
        for (int i = 0; i < 20; i++) {
            limit.onSample(0, 10 * MS, 100, true);
        }
        assertThat(limit.limit()).isEqualTo(5);
        for (int i = 0; i < 1000; i++) {
            limit.onSample(0, 10 * MS, 1000, false);
        }
        assertThat(limit.limit()).isEqualTo(200);
    }

    @Test
    void appLimitedSamplesDoNotGrowTheLimit() {
        ConcurrencyLimit limit = ConcurrencyLimit.create(ConcurrencyLimit.Config.defaults());
        for (int i = 0; i < 100; i++) {
            limit.onSample(0, 10 * MS, 2, false);
        }
        assertThat(limit.limit()).isEqualTo(20);
    }

    @Test
    void smoothingSlowsTheChange() {
        ConcurrencyLimit limit = ConcurrencyLimit.create(new ConcurrencyLimit.Config(20, 1, 100, 3, 6, 0.5, 0.5, 1000));
        limit.onSample(0, 10 * MS, 20, true);
        assertThat(limit.limit()).isEqualTo(15); // halfway from 20 to 10
    }

    @Test
    void configIsValidated() {
        assertThatThrownBy(() -> new ConcurrencyLimit.Config(20, 1, 100, 6, 3, 1.0, 0.9, 10))
                .hasMessageContaining("alpha");
        assertThatThrownBy(() -> new ConcurrencyLimit.Config(0, 1, 100, 3, 6, 1.0, 0.9, 10))
                .hasMessageContaining("initialLimit");
    }
}
