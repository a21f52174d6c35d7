package dev.modelmux.admission.sched;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.modelmux.admission.sched.BatchDecider.Decision;
import dev.modelmux.admission.sched.BatchDecider.Phase;
import org.junit.jupiter.api.Test;

/**
 * The batching decision on a fake clock: a simulated device runs a model's work in whichever mode
 * the decider picks, two single runs at a time or one batch of 16 rows, at costs the test sets.
 */
class BatchDeciderTest {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;
    private static final int BATCH_ROWS = 16;

    private final BatchDecider<String> decider = new BatchDecider<>(BatchDecider.Config.defaults());
    private long now = 1_000 * S;

    /** A device on which a single run takes {@code singleNanos} (two at once) and a batch of 16 {@code batchNanos}. */
    private final class Device {
        long singleNanos;
        long batchNanos;
        int singleRuns;
        int batchRuns;

        Device(long singleNanos, long batchNanos) {
            this.singleNanos = singleNanos;
            this.batchNanos = batchNanos;
        }

        /** Saturating load for {@code nanos}: as soon as work finishes, more of it starts. */
        void load(String model, long nanos) {
            long until = now + nanos;
            while (now < until) {
                if (decider.decide(model, now) == Decision.SINGLE) {
                    decider.started(model, false, now);
                    decider.started(model, false, now);
                    now += singleNanos;
                    decider.finished(model, false, 1, now);
                    decider.finished(model, false, 1, now);
                    singleRuns += 2;
                } else {
                    decider.started(model, true, now);
                    now += batchNanos;
                    decider.finished(model, true, BATCH_ROWS, now);
                    batchRuns++;
                }
            }
        }

        /** Saturating load until the next comparison is made and settled (a flip confirmed); returns when. */
        long nextComparison(String model) {
            int before = decider.view(model).map(BatchDecider.View::comparisons).orElse(0);
            long limit = now + 200 * S;
            while (decider.view(model).map(BatchDecider.View::comparisons).orElse(0) == before
                    || decider.view(model).orElseThrow().phase() != Phase.STEADY) {
                assertThat(now).as("a comparison within 200 s").isLessThan(limit);
                load(model, 1);
            }
            return now;
        }

        /** Per-row costs: single {@code singleNanos / 2}, batched {@code batchNanos / 16}. */
        double batchOverSingle() {
            return (batchNanos / (double) BATCH_ROWS) / (singleNanos / 2.0);
        }
    }

    private BatchDecider.View view(String model) {
        return decider.view(model).orElseThrow();
    }

    @Test
    void aModelStartsUnbatchedAndMeasures() {
        assertThat(decider.decide("m", now)).isEqualTo(Decision.SINGLE);
        assertThat(view("m").phase()).isEqualTo(Phase.MEASURE);
        assertThat(view("m").singleNanosPerRow()).isNaN();
    }

    @Test
    void whereBatchingLosesTheModelRunsUnbatched() {
        // Two single runs of 1 ms at once: 0.5 ms a row; a batch of 16 in 10 ms: 0.625 ms a row (MiniLM-q on 2 cores).
        Device d = new Device(1 * MS, 10 * MS);
        d.load("m", 2 * S);
        BatchDecider.View v = view("m");
        assertThat(v.comparisons()).isEqualTo(1);
        assertThat(v.decision()).isEqualTo(Decision.SINGLE);
        assertThat(v.phase()).isEqualTo(Phase.STEADY);
        assertThat(v.singleNanosPerRow()).isCloseTo(0.5 * MS, within(0.01 * MS));
        assertThat(v.batchNanosPerRow()).isCloseTo(0.625 * MS, within(0.01 * MS));
        assertThat(v.reason()).startsWith("unbatched: batched runs cost 1.25x unbatched per row");
        // The probe was short: most of the work ran unbatched.
        assertThat(d.batchRuns * BATCH_ROWS).isLessThan(d.singleRuns / 4);
        int batchRuns = d.batchRuns;
        d.load("m", 5 * S);
        assertThat(d.batchRuns).as("no batch before the next comparison").isEqualTo(batchRuns);
    }

    @Test
    void whereBatchingWinsTheModelRunsBatched() {
        // A wide MLP: a batch of 16 in 4 ms (0.25 ms a row) against 0.5 ms a row unbatched.
        Device d = new Device(1 * MS, 4 * MS);
        d.load("m", 2 * S);
        BatchDecider.View v = view("m");
        assertThat(v.decision()).isEqualTo(Decision.BATCH);
        assertThat(v.comparisons()).isEqualTo(2);
        assertThat(v.reason()).startsWith("batching: batched runs cost 0.50x unbatched per row");
        int singleRuns = d.singleRuns;
        d.load("m", 5 * S);
        assertThat(d.singleRuns).isEqualTo(singleRuns);
    }

    @Test
    void batchingMustWinByTheMarginAndKeepsItsPlaceWithinHalfOfIt() {
        // 6% cheaper batched: within the 10% margin, so SINGLE stays (a tie never batches).
        Device d = new Device(1 * MS, 7_500_000L);
        assertThat(d.batchOverSingle()).isEqualTo(0.9375);
        d.nextComparison("m");
        assertThat(view("m").decision()).isEqualTo(Decision.SINGLE);
        // 20% cheaper: batching takes over at the next comparison.
        d.batchNanos = 6_400_000L;
        d.nextComparison("m");
        assertThat(view("m").decision()).isEqualTo(Decision.BATCH);
        // Back to 6% cheaper: BATCH keeps its place (it must lose more than half the margin to go).
        d.batchNanos = 7_500_000L;
        d.nextComparison("m");
        assertThat(view("m").decision()).isEqualTo(Decision.BATCH);
        // 2% cheaper: no longer worth it.
        d.batchNanos = 7_840_000L;
        d.nextComparison("m");
        assertThat(view("m").decision()).isEqualTo(Decision.SINGLE);
        assertThat(view("m").comparisons()).isEqualTo(6);
    }

    @Test
    void comparisonsRecurBackingOffWhileTheDecisionStandsAndAChangeFlipsItBack() {
        Device d = new Device(1 * MS, 4 * MS);
        long t0 = d.nextComparison("m");
        assertThat(view("m").decision()).isEqualTo(Decision.BATCH);
        // After a flip the next comparison comes after the shortest interval (10 s, plus its two windows).
        long t1 = d.nextComparison("m");
        long t2 = d.nextComparison("m");
        long t3 = d.nextComparison("m");
        assertThat(t1 - t0).isBetween(10 * S, 11 * S);
        assertThat(t2 - t1).isBetween(10 * S, 11 * S);
        // It stood twice: the interval doubles (20 s), and doubles again while it stands.
        assertThat(t3 - t2).isBetween(20 * S, 21 * S);
        assertThat(d.nextComparison("m") - t3).isBetween(40 * S, 41 * S);
        assertThat(view("m").decision()).isEqualTo(Decision.BATCH);
        // The device changes (another model now shares it): batches cost more per row than single runs.
        d.batchNanos = 12 * MS;
        long t5 = d.nextComparison("m");
        assertThat(view("m").decision()).isEqualTo(Decision.SINGLE);
        assertThat(view("m").nextProbeNanos() - t5).isEqualTo(10 * S);
        d.batchNanos = 4 * MS;
        d.nextComparison("m");
        assertThat(view("m").decision()).as("and back when batching pays again").isEqualTo(Decision.BATCH);
    }

    @Test
    void aFlipIsConfirmedByASecondComparisonFirst() {
        Device d = new Device(1 * MS, 4 * MS);
        d.load("m", 1);
        while (view("m").comparisons() == 0) {
            d.load("m", 1);
        }
        // The first comparison favours batches, but the model is still unbatched: it compares again at once.
        BatchDecider.View v = view("m");
        assertThat(v.decision()).isEqualTo(Decision.SINGLE);
        assertThat(v.phase()).isEqualTo(Phase.MEASURE);
        assertThat(v.reason()).endsWith("; confirming");
        // This time batches lose (the machine got busy at the wrong moment, say): nothing changes.
        d.batchNanos = 10 * MS;
        d.nextComparison("m");
        assertThat(view("m").comparisons()).isEqualTo(2);
        assertThat(view("m").decision()).isEqualTo(Decision.SINGLE);
    }

    @Test
    void aWindowOpensOnlyOnceTheOtherModesUnitsAreDone() {
        // Two single runs at a time until the unbatched window completes, as one of a pair finishes:
        // the other is still in flight as the batch probe begins, and the probe's window waits for it.
        decider.decide("m", now);
        while (true) {
            decider.started("m", false, now);
            decider.started("m", false, now);
            now += MS;
            decider.finished("m", false, 1, now);
            if (view("m").phase() == Phase.PROBE) {
                break;
            }
            decider.finished("m", false, 1, now);
        }
        for (int i = 0; i < 20; i++) {
            decider.started("m", true, now);
            now += 20 * MS;
            decider.finished("m", true, BATCH_ROWS, now);
        }
        assertThat(view("m").comparisons())
                .as("no window while the single run is out")
                .isZero();
        decider.finished("m", false, 1, now);
        for (int i = 0; i < 20; i++) {
            decider.started("m", true, now);
            now += 20 * MS;
            decider.finished("m", true, BATCH_ROWS, now);
        }
        assertThat(view("m").comparisons()).isEqualTo(1);
        assertThat(view("m").batchNanosPerRow()).isCloseTo(20 * MS / 16.0, within(0.01 * MS));
    }

    @Test
    void aProbeWithoutEnoughLoadIsAbandonedWithoutAChange() {
        Device d = new Device(1 * MS, 4 * MS);
        // Enough load to measure unbatched (the first window, the warm-up, is discarded), then one request every
        // second: a batch probe never fills a window.
        d.load("m", 600 * MS);
        assertThat(view("m").phase()).isEqualTo(Phase.PROBE);
        for (int i = 0; i < 7; i++) {
            now += S;
            Decision mode = decider.decide("m", now);
            decider.started("m", mode == Decision.BATCH, now);
            now += MS;
            decider.finished("m", mode == Decision.BATCH, 1, now);
        }
        BatchDecider.View v = view("m");
        assertThat(v.phase()).isEqualTo(Phase.STEADY);
        assertThat(v.decision()).isEqualTo(Decision.SINGLE);
        assertThat(v.comparisons()).isZero();
        assertThat(v.reason()).startsWith("kept SINGLE: too little load to compare");
    }

    @Test
    void idleTimeDoesNotCountAsCost() {
        // Bursts with long pauses between them: only the time work is running counts.
        Device d = new Device(1 * MS, 4 * MS);
        for (int i = 0; i < 40; i++) {
            d.load("m", 50 * MS);
            now += 100 * MS;
        }
        assertThat(view("m").singleNanosPerRow()).isCloseTo(0.5 * MS, within(0.01 * MS));
        assertThat(view("m").decision()).isEqualTo(Decision.BATCH);
    }

    @Test
    void modelsAreDecidedApartAndForgottenWhenIdle() {
        new Device(1 * MS, 4 * MS).load("wide", 2 * S);
        new Device(1 * MS, 10 * MS).load("seq", 2 * S);
        assertThat(view("wide").decision()).isEqualTo(Decision.BATCH);
        assertThat(view("seq").decision()).isEqualTo(Decision.SINGLE);
        now += 16 * 60 * S;
        decider.decide("other", now);
        assertThat(decider.view("wide")).isEmpty();
        assertThat(decider.size()).isEqualTo(1);
    }
}
