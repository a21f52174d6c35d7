package dev.modelmux.admission.sched;

import static dev.modelmux.admission.sched.QueueHarness.MS;
import static dev.modelmux.admission.sched.QueueHarness.NONE;
import static dev.modelmux.admission.sched.QueueHarness.US;
import static dev.modelmux.admission.sched.QueueHarness.fixedLimit;
import static dev.modelmux.admission.sched.QueueHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.admission.sched.BatchPlanner.StackKey;
import dev.modelmux.admission.sched.BatchPlanner.TimeoutAction;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Dynamic batching in the device queue, on a fake clock: when batches go (full, preferred size, max
 * queue delay on the timer), what never stacks, priority levels, one batch per model instance,
 * deadlines and the REJECT queue timeout while gathering, the model's queue bound, and models that
 * turn out not to batch.
 */
class DeviceQueueBatchingTest {
    private static final StackKey SEQ8 = key(8);
    private static final StackKey SEQ16 = key(16);

    private static StackKey key(long seq) {
        return new StackKey(List.of(new StackKey.Input("input_ids", "INT64", List.of(seq))));
    }

    private static BatchPolicy policy(int max, List<Integer> preferred, long delay) {
        return BatchPolicy.of(new BatchPlanner.Config(max, preferred, delay, 0, 0, TimeoutAction.REJECT));
    }

    private static BatchPolicy withInstances(BatchPolicy p, int instances) {
        return new BatchPolicy(
                p.planner(),
                p.maxQueueSize(),
                p.rejectTimeoutNanos(),
                p.allowTimeoutOverride(),
                p.priorityLevels(),
                p.defaultPriorityLevel(),
                instances);
    }

    @Test
    void aFullBatchStartsAtOnceAsOneUnitSplitByRows() {
        QueueHarness h = fixedLimit(4);
        BatchPolicy p = policy(4, List.of(), 100 * US);
        h.acceptBatched("r0", 1, p, SEQ8);
        h.acceptBatched("r1", 2, p, SEQ8);
        assertThat(h.started).isEmpty();
        h.acceptBatched("r2", 1, p, SEQ8);
        h.acceptBatched("r3", 1, p, SEQ8);
        // r0..r2 fill the 4 rows: that batch goes at once; r3 waits for the next one.
        assertThat(h.startedJobs()).containsExactly(List.of("r0", "r1", "r2"));
        WorkUnit<String, String> u = h.started.get(0);
        assertThat(u.batched()).isTrue();
        assertThat(u.split()).isEqualTo(BatchSplit.of(1, 2, 1));
        assertThat(h.events).contains("batch m 4 3");
        assertThat(h.queue.queued()).isEqualTo(1);
    }

    @Test
    void theMaxQueueDelayReleasesWhatIsThereWhenTheTimerFires() {
        QueueHarness h = fixedLimit(4);
        BatchPolicy p = policy(8, List.of(), 100 * US);
        h.acceptBatched("r0", 1, p, SEQ8);
        h.advance(30 * US);
        h.acceptBatched("r1", 1, p, SEQ8);
        h.advance(69 * US);
        assertThat(h.started).isEmpty();
        h.advance(US);
        assertThat(h.startedJobs()).containsExactly(List.of("r0", "r1"));
        assertThat(h.started.get(0).waitedNanos(0)).isEqualTo(100 * US);
        assertThat(h.started.get(0).waitedNanos(1)).isEqualTo(70 * US);
    }

    @Test
    void anEarlierBatchDelayReplacesTheTimerOfALaterOne() {
        QueueHarness h = fixedLimit(4);
        h.acceptBatched("slow0", 1, policy(8, List.of(), 100 * US), SEQ8);
        assertThat(h.timer.pending()).isEqualTo(1);
        assertThat(h.queue.submit(new DeviceRequest<>(
                        tenant("t"), "quick", "quick0", NONE, 1, policy(8, List.of(), 10 * US), SEQ8, 0)))
                .isEmpty();
        assertThat(h.timer.pending())
                .as("the 100 us timer was cancelled for the 10 us one")
                .isEqualTo(1);
        h.advance(10 * US);
        assertThat(h.startedJobs()).containsExactly(List.of("quick0"));
        h.advance(90 * US);
        assertThat(h.startedJobs()).containsExactly(List.of("quick0"), List.of("slow0"));
        assertThat(h.timer.pending()).isZero();
    }

    @Test
    void aPreferredSizeIsReleasedWithoutWaiting() {
        QueueHarness h = fixedLimit(4);
        BatchPolicy p = policy(8, List.of(2), 100 * US);
        h.acceptBatched("r0", 1, p, SEQ8);
        h.acceptBatched("r1", 1, p, SEQ8);
        assertThat(h.startedJobs()).containsExactly(List.of("r0", "r1"));
    }

    @Test
    void requestsOfDifferentShapesNeverStack() {
        QueueHarness h = fixedLimit(4);
        BatchPolicy p = withInstances(policy(8, List.of(), 100 * US), 2);
        h.acceptBatched("a0", 1, p, SEQ8);
        h.acceptBatched("b0", 1, p, SEQ16);
        h.acceptBatched("a1", 1, p, SEQ8);
        h.acceptBatched("b1", 1, p, SEQ16);
        h.advance(100 * US);
        assertThat(h.startedJobs()).containsExactlyInAnyOrder(List.of("a0", "a1"), List.of("b0", "b1"));
    }

    @Test
    void eachModelInstanceRunsOneBatchAtATimeSoTheNextGathersLarger() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy p = policy(8, List.of(), 100 * US);
        h.acceptBatched("first", 1, p, SEQ8);
        h.advance(100 * US);
        assertThat(h.startedJobs()).containsExactly(List.of("first"));
        for (int i = 0; i < 5; i++) {
            h.acceptBatched("r" + i, 1, p, SEQ8);
        }
        h.advance(MS);
        assertThat(h.started).as("the only instance is busy").hasSize(1);
        h.finishNext(0);
        assertThat(h.startedJobs()).containsExactly(List.of("r0", "r1", "r2", "r3", "r4"));
        assertThat(h.events).contains("batch m 1 1", "batch m 5 5");
    }

    @Test
    void twoInstancesRunTwoBatchesAtOnce() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy p = withInstances(policy(2, List.of(), 100 * US), 2);
        for (int i = 0; i < 6; i++) {
            h.acceptBatched("r" + i, 1, p, SEQ8);
        }
        assertThat(h.startedJobs()).containsExactly(List.of("r0", "r1"), List.of("r2", "r3"));
        h.finishNext(0);
        assertThat(h.startedJobs()).containsExactly(List.of("r2", "r3"), List.of("r4", "r5"));
    }

    @Test
    void lowerPriorityLevelsGoFirst() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy p = policy(2, List.of(), 100 * US);
        h.acceptBatched("first", 2, p, SEQ8);
        assertThat(h.started).hasSize(1);
        assertThat(h.submitBatched("late-low", 1, p, SEQ8, 2)).isEmpty();
        assertThat(h.submitBatched("late-low2", 1, p, SEQ8, 2)).isEmpty();
        h.advance(US);
        assertThat(h.submitBatched("high", 1, p, SEQ8, 1)).isEmpty();
        h.finishNext(MS);
        assertThat(h.startedJobs()).containsExactly(List.of("high", "late-low"));
    }

    @Test
    void aDeadlinePassingWhileGatheringIsAnsweredOnTimeEvenWhenNoInstanceIsFree() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy p = policy(8, List.of(), 100 * US);
        h.acceptBatched("first", 8, p, SEQ8);
        assertThat(h.started).hasSize(1);
        assertThat(h.queue.submit(new DeviceRequest<>(tenant("t"), "m", "short", 2 * MS, 1, p, SEQ8, 0)))
                .isEmpty();
        h.advance(3 * MS);
        assertThat(h.expired).containsEntry("short", Expiry.DEADLINE_EXCEEDED);
        assertThat(h.events).contains("rejected t m deadline_exceeded");
        h.finishNext(0);
        assertThat(h.started).isEmpty();
        assertThat(h.queue.queued()).isZero();
    }

    @Test
    void theModelsRejectTimeoutShortensTheDeadlineButNeverExtendsIt() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy base = policy(8, List.of(), 100 * US);
        BatchPolicy p = new BatchPolicy(base.planner(), 0, 2 * MS, true, 0, 0, 1);
        DeviceQueue.Hold hold = h.queue.hold();
        h.acceptBatched("default-timeout", 1, p, SEQ8);
        assertThat(h.queue.submit(new DeviceRequest<>(tenant("t"), "m", "own", 500 * US, 1, p, SEQ8, 0)))
                .isEmpty();
        assertThat(h.queue.submit(new DeviceRequest<>(tenant("t"), "m", "longer", 5 * MS, 1, p, SEQ8, 0)))
                .isEmpty();
        h.advance(MS);
        assertThat(h.expired).containsOnlyKeys("own");
        h.advance(2 * MS);
        assertThat(h.expired).containsOnlyKeys("own", "default-timeout", "longer");
        assertThat(h.expiredAfter).containsEntry("default-timeout", 3 * MS);
        assertThat(h.events).contains("rejected t m deadline_exceeded");
        hold.close();
        assertThat(h.started).isEmpty();
    }

    @Test
    void aModelsMaxQueueSizeCountsTheQueueAndThePlannerTogether() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy base = policy(8, List.of(), 100 * US);
        BatchPolicy p = new BatchPolicy(base.planner(), 2, 0, false, 0, 0, 1);
        h.acceptBatched("r0", 1, p, SEQ8); // in the planner
        DeviceQueue.Hold hold = h.queue.hold();
        h.acceptBatched("r1", 1, p, SEQ8); // in the fair queue
        Optional<Refused> r = h.submitBatched("r2", 1, p, SEQ8, 0);
        assertThat(r)
                .get()
                .extracting(Refused::reason, Refused::waiting, Refused::bound)
                .containsExactly(Refusal.MODEL_QUEUE_FULL, 2, 2);
        assertThat(h.events).contains("rejected t m queue_full");
        hold.close();
        h.advance(100 * US);
        assertThat(h.startedJobs()).containsExactly(List.of("r0", "r1"));
        assertThat(h.submitBatched("r3", 1, p, SEQ8, 0)).isEmpty();
    }

    @Test
    void aModelMarkedUnbatchableRunsItsRequestsOneByOne() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy p = policy(8, List.of(), 100 * US);
        assertThat(h.queue.unbatchable("m")).isTrue();
        assertThat(h.queue.unbatchable("m")).isFalse();
        h.acceptBatched("r0", 3, p, SEQ8);
        h.acceptBatched("r1", 1, p, SEQ8);
        assertThat(h.startedJobs()).containsExactly(List.of("r0"), List.of("r1"));
        assertThat(h.started.get(0).batched()).isFalse();
        assertThat(h.started.get(0).split().totalRows()).isEqualTo(3);
    }

    @Test
    void closingAnswersRequestsGatheringInAPlanner() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy p = policy(8, List.of(), 100 * US);
        h.acceptBatched("r0", 1, p, SEQ8);
        h.queue.close();
        assertThat(h.expired).containsEntry("r0", Expiry.CLOSED);
        h.advance(MS);
        assertThat(h.started).isEmpty();
        assertThat(h.timer.pending()).isZero();
    }

    @Test
    void aUnitRunsUntilTheLatestOfItsMembersOwnDeadlinesNotTheQueueTimeout() {
        QueueHarness h = fixedLimit(8);
        BatchPolicy base = policy(2, List.of(), 100 * US);
        BatchPolicy p = new BatchPolicy(base.planner(), 0, MS, true, 0, 0, 1);
        h.queue.submit(new DeviceRequest<>(tenant("t"), "m", "a", 5 * MS, 1, p, SEQ8, 0));
        h.queue.submit(new DeviceRequest<>(tenant("t"), "m", "b", NONE, 1, p, SEQ8, 0));
        WorkUnit<String, String> u = h.started.get(0);
        assertThat(u.runDeadlineNanos()).isEqualTo(NONE);
        assertThat(u.runDeadlineNanos(0)).isEqualTo(5 * MS);
        assertThat(u.runDeadlineNanos(1))
                .as("the 1 ms queue timeout bounded only the wait")
                .isEqualTo(NONE);
    }

    @Test
    void requestsAndPoliciesThatCannotWorkAreRefusedAtConstruction() {
        BatchPolicy p = policy(4, List.of(), 100 * US);
        assertThatThrownBy(() -> new DeviceRequest<>(tenant("t"), "m", "j", NONE, 5, p, SEQ8, 0))
                .hasMessageContaining("max_batch_size 4");
        assertThatThrownBy(() -> new DeviceRequest<>(tenant("t"), "m", "j", NONE, 1, p, null, 0))
                .hasMessageContaining("stackKey");
        assertThatThrownBy(() -> BatchPolicy.of(new BatchPlanner.Config(4, List.of(), 0, 3, 0, TimeoutAction.REJECT)))
                .hasMessageContaining("maxQueueSize must be 0");
        assertThatThrownBy(() -> BatchPolicy.of(new BatchPlanner.Config(4, List.of(), 0, 0, MS, TimeoutAction.REJECT)))
                .hasMessageContaining("rejectTimeoutNanos");
    }

    // ---- batching: auto ----

    /** Short windows, so a comparison takes a few milliseconds of simulated load. */
    private static final BatchDecider.Config QUICK =
            new BatchDecider.Config(5 * MS, 16, 4, 1_000 * MS, 0.1, 1_000 * MS, 10_000 * MS, 60_000 * MS);

    /**
     * Eight closed-loop clients of single-row requests on a device of limit 2: each finished request
     * is sent again at once. A unit runs {@code singleNanos} alone, or {@code batchNanos(rows)} as a
     * batch. Runs {@code units} units and returns the harness.
     */
    private static QueueHarness closedLoop(
            BatchPolicy p, long singleNanos, java.util.function.IntToLongFunction batchNanos, int units) {
        QueueHarness h = fixedLimit(2, QUICK);
        int n = 0;
        for (int i = 0; i < 8; i++) {
            h.acceptBatched("r" + n++, 1, p, SEQ8);
        }
        for (int done = 0; done < units; ) {
            if (h.started.isEmpty()) {
                h.advance(100 * US); // a batch gathering until its delay passes
                continue;
            }
            WorkUnit<String, String> u = h.started.get(0);
            long run = u.batched() ? batchNanos.applyAsLong(u.split().totalRows()) : singleNanos;
            for (String ignored : h.finishNext(run).jobs()) {
                h.acceptBatched("r" + n++, 1, p, SEQ8);
            }
            done++;
        }
        return h;
    }

    @Test
    void autoRunsAModelUnbatchedWhereItsBatchesCostMorePerRow() {
        BatchPolicy p = policy(8, List.of(), 100 * US).withMode(BatchingMode.AUTO);
        // 1 ms a request unbatched; a batch costs 1.5 ms a row.
        QueueHarness h = closedLoop(p, MS, rows -> rows * 1_500 * US, 400);
        BatchDecider.View v = h.queue.batching("m").orElseThrow();
        assertThat(v.comparisons()).isEqualTo(1);
        assertThat(v.decision()).isEqualTo(BatchDecider.Decision.SINGLE);
        assertThat(v.batchNanosPerRow()).isGreaterThan(v.singleNanosPerRow());
        h.started.clear();
        h.events.clear();
        h.acceptBatched("late", 1, p, SEQ8);
        h.advance(MS);
        assertThat(h.events).noneMatch(e -> e.startsWith("batch"));
    }

    @Test
    void autoBatchesAModelWhoseBatchesCostLessPerRow() {
        BatchPolicy p = policy(8, List.of(), 100 * US).withMode(BatchingMode.AUTO);
        // 1 ms a request unbatched; a batch 1 ms plus 0.1 ms a row (a wide MLP: weights read once per batch).
        QueueHarness h = closedLoop(p, MS, rows -> MS + rows * 100 * US, 400);
        BatchDecider.View v = h.queue.batching("m").orElseThrow();
        assertThat(v.comparisons()).isEqualTo(2);
        assertThat(v.decision()).isEqualTo(BatchDecider.Decision.BATCH);
        assertThat(h.started).allMatch(WorkUnit::batched);
        assertThat(h.started.get(0).split().totalRows()).isGreaterThan(1);
    }

    @Test
    void alwaysAndNeverAreNotDecided() {
        QueueHarness always = closedLoop(policy(8, List.of(), 100 * US), MS, rows -> rows * 1_500 * US, 100);
        assertThat(always.queue.batching("m")).isEmpty();
        assertThat(always.started).allMatch(WorkUnit::batched);
        BatchPolicy never = policy(8, List.of(), 100 * US).withMode(BatchingMode.NEVER);
        QueueHarness h = closedLoop(never, MS, rows -> MS + rows * 100 * US, 100);
        assertThat(h.queue.batching("m")).isEmpty();
        assertThat(h.events).noneMatch(e -> e.startsWith("batch"));
    }
}
