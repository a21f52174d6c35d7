package dev.modelmux.node.path;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HedgePolicyTest {
    @Test
    void nothingIsHedgedUntilEnoughAnswersGiveTheP95() {
        HedgePolicy p = new HedgePolicy(0.5, 2, 20, 10, 1);
        for (int i = 1; i <= 9; i++) {
            p.answered("m", i * 1_000_000L);
            assertThat(p.forwarding("m")).isEmpty();
        }
        p.answered("m", 10_000_000L);
        assertThat(p.forwarding("m")).isEqualTo(OptionalLong.of(10_000_000L));
        for (int i = 11; i <= 20; i++) {
            p.answered("m", i * 1_000_000L);
        }
        // p95 of 1..20 ms: the 19th value.
        assertThat(p.forwarding("m")).isEqualTo(OptionalLong.of(19_000_000L));
        assertThat(p.forwarding("other")).isEmpty();
    }

    @Test
    void theWindowForgetsOldAnswersAndTheDelayHasAFloor() {
        HedgePolicy p = new HedgePolicy(0.5, 2, 4, 4, 2_000_000L);
        for (int i = 0; i < 4; i++) {
            p.answered("m", 50_000_000L);
        }
        for (int i = 0; i < 4; i++) {
            p.answered("m", 1_000L);
        }
        assertThat(p.forwarding("m")).isEqualTo(OptionalLong.of(2_000_000L));
    }

    @Test
    void theBudgetCapsHedgesAtTheirShareOfForwards() {
        HedgePolicy p = new HedgePolicy(0.05, 2, 8, 1, 1);
        p.answered("m", 1);
        int hedges = 0;
        for (int i = 0; i < 1000; i++) {
            p.forwarding("m");
            if (p.tryHedge("m")) {
                hedges++;
            }
        }
        assertThat(hedges).isEqualTo(50);
        // A burst saves at most two hedges, however long the model went without one.
        HedgePolicy q = new HedgePolicy(0.05, 2, 8, 1, 1);
        for (int i = 0; i < 10_000; i++) {
            q.forwarding("m");
        }
        assertThat(q.tryHedge("m")).isTrue();
        assertThat(q.tryHedge("m")).isTrue();
        assertThat(q.tryHedge("m")).isFalse();
        assertThat(q.tryHedge("unknown")).isFalse();
    }
}
