package dev.modelmux.admission.sched;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.sched.BatchPlanner.AddResult;
import dev.modelmux.admission.sched.BatchPlanner.Batch;
import dev.modelmux.admission.sched.BatchPlanner.Config;
import dev.modelmux.admission.sched.BatchPlanner.Plan;
import dev.modelmux.admission.sched.BatchPlanner.RejectReason;
import dev.modelmux.admission.sched.BatchPlanner.Rejected;
import dev.modelmux.admission.sched.BatchPlanner.Request;
import dev.modelmux.admission.sched.BatchPlanner.StackKey;
import dev.modelmux.admission.sched.BatchPlanner.TimeoutAction;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {

    private static final long US = 1_000L;
    private static final long FAR = Long.MAX_VALUE / 2;
    private static final StackKey SEQ128 = key(128);
    private static final StackKey SEQ64 = key(64);

    private static StackKey key(long seqLen) {
        return new StackKey(List.of(
                new StackKey.Input("input_ids", "INT64", List.of(seqLen)),
                new StackKey.Input("attention_mask", "INT64", List.of(seqLen))));
    }

    private static Request req(long id, int size, StackKey key, long at) {
        return new Request(id, size, key, at, FAR, 1);
    }

    private static Config config(int max, List<Integer> preferred, long delay, long timeout, TimeoutAction action) {
        return new Config(max, preferred, delay, 0, timeout, action);
    }

    private static List<Long> ids(Batch b) {
        return b.members().stream().map(Request::id).toList();
    }

    @Test
    void preferredSizeIsSentWithoutWaiting() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(4, 8), 100 * US, 0, TimeoutAction.REJECT));
        for (long i = 0; i < 3; i++) {
            p.add(req(i, 1, SEQ128, 0), 0);
        }
        assertThat(p.plan(0).batches()).isEmpty();
        p.add(req(3, 1, SEQ128, 1), 1);
        Plan plan = p.plan(1);
        assertThat(plan.batches())
                .singleElement()
                .satisfies(b -> assertThat(b.size()).isEqualTo(4));
        assertThat(p.pending()).isZero();
    }

    @Test
    void maxQueueDelaySendsWhatIsThere() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(4), 100 * US, 0, TimeoutAction.REJECT));
        p.add(req(0, 1, SEQ128, 0), 0);
        p.add(req(1, 2, SEQ128, 10 * US), 10 * US);
        Plan early = p.plan(50 * US);
        assertThat(early.batches()).isEmpty();
        assertThat(early.nextWakeNanos()).isEqualTo(100 * US);
        Plan due = p.plan(100 * US);
        assertThat(due.batches()).singleElement().satisfies(b -> {
            assertThat(ids(b)).containsExactly(0L, 1L);
            assertThat(b.split().offsets()).containsExactly(0, 1, 3);
        });
        assertThat(p.nextWakeNanos()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void neverExceedsMaxBatchSize() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(), 1_000 * US, 0, TimeoutAction.REJECT));
        int[] sizes = {3, 3, 3, 2, 5, 1, 4};
        for (int i = 0; i < sizes.length; i++) {
            p.add(req(i, sizes[i], SEQ128, i), i);
        }
        Plan plan = p.plan(10);
        // 3+3 (next 3 would exceed 8) is ready; then 3+2 (next 5 does not fit); then 5+1 (next 4 does not fit)
        assertThat(plan.batches()).extracting(Batch::size).containsExactly(6, 5, 6);
        assertThat(plan.batches()).allSatisfy(b -> assertThat(b.size()).isLessThanOrEqualTo(8));
        assertThat(p.pending()).isEqualTo(1);
        assertThat(p.plan(2_000 * US).batches())
                .singleElement()
                .satisfies(b -> assertThat(ids(b)).containsExactly(6L));
    }

    @Test
    void fullBatchPrefersTheLargestPreferredPrefix() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(2, 4), 1_000 * US, 0, TimeoutAction.REJECT));
        int[] sizes = {1, 1, 1, 1, 1, 4};
        for (int i = 0; i < sizes.length; i++) {
            p.add(req(i, sizes[i], SEQ128, i), i);
        }
        Plan plan = p.plan(10);
        assertThat(plan.batches()).extracting(Batch::size).startsWith(4);
    }

    @Test
    void incompatibleShapesAreNotStacked() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(), 0, 0, TimeoutAction.REJECT));
        p.add(req(0, 1, SEQ128, 0), 0);
        p.add(req(1, 1, SEQ64, 0), 0);
        p.add(req(2, 1, SEQ128, 0), 0);
        StackKey otherType = new StackKey(List.of(
                new StackKey.Input("input_ids", "INT32", List.of(128L)),
                new StackKey.Input("attention_mask", "INT64", List.of(128L))));
        p.add(req(3, 1, otherType, 0), 0);
        Plan plan = p.plan(0);
        assertThat(plan.batches()).hasSize(3);
        assertThat(plan.batches())
                .allSatisfy(b -> assertThat(b.members())
                        .allSatisfy(r -> assertThat(r.stackKey()).isEqualTo(b.stackKey())));
        assertThat(plan.batches().get(0).members()).extracting(Request::id).containsExactly(0L, 2L);
    }

    @Test
    void timeoutRejectRejectsAndClientDeadlineAlwaysRejects() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(), 1_000 * US, 50 * US, TimeoutAction.REJECT));
        p.add(req(0, 1, SEQ128, 0), 0);
        p.add(new Request(1, 1, SEQ128, 0, 20 * US, 1), 0);
        assertThat(p.plan(0).nextWakeNanos()).isEqualTo(20 * US);
        Plan plan = p.plan(60 * US);
        assertThat(plan.batches()).isEmpty();
        assertThat(plan.rejected())
                .extracting(Rejected::reason)
                .containsExactlyInAnyOrder(RejectReason.TIMEOUT, RejectReason.DEADLINE_EXCEEDED);
        assertThat(p.pending()).isZero();
    }

    @Test
    void timeoutDelayMovesTheRequestBehindOthers() {
        BatchPlanner p = BatchPlanner.create(config(2, List.of(), 100 * US, 50 * US, TimeoutAction.DELAY));
        p.add(req(0, 1, SEQ128, 0), 0);
        assertThat(p.plan(10 * US).batches()).isEmpty();
        p.add(req(1, 1, SEQ128, 60 * US), 60 * US);
        p.add(req(2, 1, SEQ128, 60 * US), 60 * US);
        Plan plan = p.plan(60 * US);
        assertThat(plan.rejected()).isEmpty();
        assertThat(plan.batches()).hasSize(1);
        assertThat(ids(plan.batches().get(0))).containsExactly(1L, 2L);
        Plan later = p.plan(100 * US);
        assertThat(ids(later.batches().get(0))).containsExactly(0L);
    }

    @Test
    void oversizeRequestsAndFullQueueAreRejectedAtAdd() {
        BatchPlanner p = BatchPlanner.create(new Config(4, List.of(), 100 * US, 2, 0, TimeoutAction.REJECT));
        assertThat(p.add(req(0, 5, SEQ128, 0), 0)).isEqualTo(AddResult.BATCH_TOO_LARGE);
        assertThat(p.add(req(1, 0, SEQ128, 0), 0)).isEqualTo(AddResult.BATCH_TOO_LARGE);
        assertThat(p.add(req(2, 1, SEQ128, 0), 0)).isEqualTo(AddResult.ACCEPTED);
        assertThat(p.add(req(3, 1, SEQ64, 0), 0)).isEqualTo(AddResult.ACCEPTED);
        assertThat(p.add(req(4, 1, SEQ128, 0), 0)).isEqualTo(AddResult.QUEUE_FULL);
        assertThat(p.add(new Request(5, 1, SEQ128, 0, 0, 1), 0)).isEqualTo(AddResult.DEADLINE_EXCEEDED);
    }

    @Test
    void higherPriorityLevelIsTakenFirst() {
        BatchPlanner p = BatchPlanner.create(config(2, List.of(), 0, 0, TimeoutAction.REJECT));
        p.add(new Request(0, 1, SEQ128, 0, FAR, 2), 0);
        p.add(new Request(1, 1, SEQ128, 1, FAR, 2), 1);
        p.add(new Request(2, 1, SEQ128, 2, FAR, 1), 2);
        Plan plan = p.plan(2);
        assertThat(ids(plan.batches().get(0))).containsExactly(2L, 0L);
    }

    @Test
    void atMostTheFreeInstancesWorthOfBatchesAreReleasedAndTheRestAsksToBePlannedNow() {
        BatchPlanner p = BatchPlanner.create(config(2, List.of(), 100 * US, 0, TimeoutAction.REJECT));
        for (long i = 0; i < 6; i++) {
            p.add(req(i, 1, SEQ128, 0), 0);
        }
        Plan plan = p.plan(1, 1);
        assertThat(plan.batches())
                .singleElement()
                .satisfies(b -> assertThat(ids(b)).containsExactly(0L, 1L));
        assertThat(plan.nextWakeNanos()).isEqualTo(1);
        assertThat(p.pending()).isEqualTo(4);
        assertThat(p.plan(2, 0).batches()).isEmpty();
        assertThat(p.plan(3).batches()).hasSize(2);
        assertThat(p.pending()).isZero();
    }

    @Test
    void expireAnswersDeadlinesWithoutFormingBatchesAndMarksDelayedOnes() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(), 100 * US, 50 * US, TimeoutAction.DELAY));
        p.add(new Request(0, 1, SEQ128, 0, 10 * US, 1), 0);
        p.add(new Request(1, 1, SEQ128, 0, FAR, 1), 0);
        p.add(new Request(2, 1, SEQ64, 60 * US, FAR, 1), 60 * US);
        assertThat(p.expire(5 * US)).isEmpty();
        List<Rejected> rejected = p.expire(60 * US);
        assertThat(rejected)
                .singleElement()
                .satisfies(r -> assertThat(r.request().id()).isZero())
                .satisfies(r -> assertThat(r.reason()).isEqualTo(RejectReason.DEADLINE_EXCEEDED));
        assertThat(p.pending()).isEqualTo(2);
        // Request 1 passed its DELAY timeout: it stays, behind the others.
        Plan plan = p.plan(200 * US);
        assertThat(plan.batches()).hasSize(2);
    }

    @Test
    void clearHandsBackEveryPendingRequest() {
        BatchPlanner p = BatchPlanner.create(config(8, List.of(), 100 * US, 0, TimeoutAction.REJECT));
        p.add(req(0, 1, SEQ128, 0), 0);
        p.add(req(1, 1, SEQ64, 0), 0);
        assertThat(p.clear()).extracting(Request::id).containsExactlyInAnyOrder(0L, 1L);
        assertThat(p.pending()).isZero();
        assertThat(p.nextWakeNanos()).isEqualTo(Long.MAX_VALUE);
        assertThat(p.plan(1_000 * US).batches()).isEmpty();
    }

    @Test
    void splitOffsets() {
        BatchSplit split = BatchSplit.of(2, 1, 3);
        assertThat(split.offsets()).containsExactly(0, 2, 3, 6);
        assertThat(split.members()).isEqualTo(3);
        assertThat(split.start(1)).isEqualTo(2);
        assertThat(split.end(1)).isEqualTo(3);
        assertThat(split.totalRows()).isEqualTo(6);
        assertThat(split.sizes()).containsExactly(2, 1, 3);
    }
}
