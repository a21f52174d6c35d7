package dev.modelmux.admission.sched;

import static dev.modelmux.admission.sched.QueueHarness.MS;
import static dev.modelmux.admission.sched.QueueHarness.NONE;
import static dev.modelmux.admission.sched.QueueHarness.US;
import static dev.modelmux.admission.sched.QueueHarness.fixedLimit;
import static dev.modelmux.admission.sched.QueueHarness.tenant;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.admission.Priority;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The device queue's state machine on a fake clock and a manual timer: fairness, the concurrency
 * limit and its CRITICAL reserve, shedding, queue bounds, deadlines while queued, holds and close.
 * Batching is in {@link DeviceQueueBatchingTest}.
 */
class DeviceQueueTest {

    @Test
    void anIdleDeviceStartsARequestAtOnceOnTheSubmittingThread() {
        QueueHarness h = fixedLimit(2);
        h.accept(tenant("a"), "m", "a1", NONE);
        assertThat(h.startedJobs()).containsExactly(List.of("a1"));
        WorkUnit<String, String> u = h.started.get(0);
        assertThat(u.batched()).isFalse();
        assertThat(u.waitedNanos(0)).isZero();
        assertThat(u.split().totalRows()).isEqualTo(1);
        assertThat(h.queue.inFlight()).isEqualTo(1);
        assertThat(h.queue.queued()).isZero();
        assertThat(h.events).containsExactly("dispatched a m 0");
    }

    @Test
    void atTheLimitRequestsWaitAndAFinishStartsTheNextWithItsWait() {
        QueueHarness h = fixedLimit(2);
        h.accept(tenant("a"), "m", "a1", NONE);
        h.accept(tenant("a"), "m", "a2", NONE);
        h.accept(tenant("a"), "m", "a3", NONE);
        assertThat(h.startedJobs()).containsExactly(List.of("a1"), List.of("a2"));
        assertThat(h.queue.queued()).isEqualTo(1);

        h.finishNext(3 * MS);
        assertThat(h.startedJobs()).containsExactly(List.of("a2"), List.of("a3"));
        assertThat(h.started.get(1).waitedNanos(0)).isEqualTo(3 * MS);
        assertThat(h.queue.inFlight()).isEqualTo(2);
        assertThat(h.queue.queued()).isZero();
    }

    @Test
    void aBackloggedTenantMakesAnotherWaitAtMostOneTurn() {
        QueueHarness h = fixedLimit(1);
        for (int i = 0; i < 20; i++) {
            h.accept(tenant("a"), "m", "a" + i, NONE);
        }
        h.finishNext(MS); // a0 ran; a1 started
        h.accept(tenant("b"), "m", "b0", NONE);
        List<String> order = new ArrayList<>();
        while (!h.started.isEmpty()) {
            order.add(h.finishNext(MS).jobs().get(0));
        }
        assertThat(order.indexOf("b0")).as("order %s", order).isLessThanOrEqualTo(2);
        assertThat(order).hasSize(20);
    }

    @Test
    void weightsThreeToOneGiveThreeToOneServiceUnderABacklog() {
        QueueHarness h = fixedLimit(1);
        Caller heavy = new Caller("heavy", Priority.DEFAULT, 30, 10_000);
        Caller light = new Caller("light", Priority.DEFAULT, 10, 10_000);
        h.accept(heavy, "m", "first", NONE);
        for (int i = 0; i < 400; i++) {
            h.accept(heavy, "m", "h" + i, NONE);
            h.accept(light, "m", "l" + i, NONE);
        }
        int heavyServed = 0;
        int lightServed = 0;
        for (int i = 0; i < 400; i++) {
            String job = h.finishNext(MS).jobs().get(0);
            if (job.startsWith("h")) {
                heavyServed++;
            } else if (job.startsWith("l")) {
                lightServed++;
            }
        }
        assertThat(heavyServed).isBetween(296, 303);
        assertThat(lightServed).isBetween(97, 104);
    }

    @Test
    void sheddableWorkStopsBelowTheLimit() {
        // Limit 10: SHEDDABLE may run 8, DEFAULT 10, CRITICAL 11.
        QueueHarness h = fixedLimit(10);
        for (int i = 0; i < 9; i++) {
            h.accept(tenant("s", Priority.SHEDDABLE), "m", "s" + i, NONE);
        }
        assertThat(h.started).hasSize(8);
        assertThat(h.queue.queued()).isEqualTo(1);
        h.finishNext(MS);
        assertThat(h.startedJobs().get(h.started.size() - 1)).containsExactly("s8");
        assertThat(h.queue.inFlight()).isEqualTo(8);
    }

    @Test
    void criticalWorkUsesTheReserveAboveTheLimit() {
        QueueHarness h = fixedLimit(10);
        for (int i = 0; i < 10; i++) {
            h.accept(tenant("d"), "m", "d" + i, NONE);
        }
        h.accept(tenant("c", Priority.CRITICAL), "m", "c0", NONE);
        assertThat(h.started).as("the 11th slot is CRITICAL's").hasSize(11);
        h.accept(tenant("c", Priority.CRITICAL), "m", "c1", NONE);
        h.accept(tenant("d"), "m", "d10", NONE);
        assertThat(h.started).hasSize(11);
        assertThat(h.queue.inFlight()).isEqualTo(11);
        h.finishNext(MS);
        assertThat(h.startedJobs().get(h.started.size() - 1)).containsExactly("c1");
        assertThat(h.started).hasSize(11);
    }

    @Test
    void sheddableWorkIsShedWhenTheDeviceIsSaturatedAndARoundIsWaiting() {
        QueueHarness h = fixedLimit(2); // SHEDDABLE may run 1
        h.accept(tenant("d"), "m", "d0", NONE);
        h.accept(tenant("d"), "m", "d1", NONE);
        h.accept(tenant("d"), "m", "d2", NONE);
        h.accept(tenant("d"), "m", "d3", NONE);
        Optional<Refused> shed = h.submit(tenant("s", Priority.SHEDDABLE), "m", "s0", NONE);
        assertThat(shed).get().extracting(Refused::reason).isEqualTo(Refusal.SHED);
        assertThat(shed.get().retryAfterMillis()).isPositive();
        assertThat(h.events).contains("rejected s m shed");
        // DEFAULT work still queues.
        assertThat(h.submit(tenant("d"), "m", "d4", NONE)).isEmpty();
    }

    @Test
    void aTenantsMaxQueuedBoundsItsWaitingRequests() {
        QueueHarness h = fixedLimit(1);
        Caller a = new Caller("a", Priority.DEFAULT, 10, 2);
        h.accept(a, "m", "a0", NONE);
        h.accept(a, "m", "a1", NONE);
        h.accept(a, "m", "a2", NONE);
        Optional<Refused> r = h.submit(a, "m", "a3", NONE);
        assertThat(r)
                .get()
                .isEqualTo(new Refused(Refusal.TENANT_QUEUE_FULL, 2, 2, r.get().retryAfterMillis()));
        assertThat(h.events).contains("rejected a m queue_full");
        // Another tenant is not affected.
        assertThat(h.submit(tenant("b"), "m", "b0", NONE)).isEmpty();
    }

    @Test
    void aTenantThatMayQueueNothingRunsAtOnceOrIsRefused() {
        QueueHarness h = fixedLimit(1);
        Caller none = new Caller("n", Priority.DEFAULT, 10, 0);
        h.accept(none, "m", "n0", NONE);
        assertThat(h.started).hasSize(1);
        assertThat(h.submit(none, "m", "n1", NONE))
                .get()
                .extracting(Refused::reason)
                .isEqualTo(Refusal.TENANT_QUEUE_FULL);
    }

    @Test
    void theDeviceBoundRefusesAllButCriticalWork() {
        QueueHarness h = fixedLimit(1, 3);
        for (int i = 0; i < 4; i++) {
            h.accept(tenant("a"), "m", "a" + i, NONE);
        }
        assertThat(h.queue.queued()).isEqualTo(3);
        Optional<Refused> r = h.submit(tenant("b"), "m", "b0", NONE);
        assertThat(r)
                .get()
                .extracting(Refused::reason, Refused::waiting, Refused::bound)
                .containsExactly(Refusal.DEVICE_QUEUE_FULL, 3, 3);
        assertThat(h.events).contains("rejected b m shed");
        assertThat(h.submit(tenant("c", Priority.CRITICAL), "m", "c0", NONE)).isEmpty();
    }

    @Test
    void aDeadlineAlreadyPastIsRefusedAtOnce() {
        QueueHarness h = fixedLimit(1);
        h.now = 10 * MS;
        Optional<Refused> r = h.submit(tenant("a"), "m", "a0", 10 * MS);
        assertThat(r).get().isEqualTo(new Refused(Refusal.DEADLINE_EXCEEDED, 0, 0, 0));
        assertThat(h.events).containsExactly("rejected a m deadline_exceeded");
        assertThat(h.started).isEmpty();
    }

    @Test
    void aDeadlinePassingInTheQueueIsAnsweredOnTimeWithoutRunning() {
        QueueHarness h = fixedLimit(1);
        h.accept(tenant("a"), "m", "running", NONE);
        h.accept(tenant("a"), "m", "late", 5 * MS);
        h.advance(5 * MS + 999 * US);
        assertThat(h.expired).isEmpty();
        h.advance(US);
        assertThat(h.expired).containsEntry("late", Expiry.DEADLINE_EXCEEDED);
        assertThat(h.expiredAfter).containsEntry("late", 6 * MS);
        assertThat(h.events).contains("rejected a m deadline_exceeded");
        assertThat(h.queue.queued()).isZero();
        h.finishNext(MS);
        assertThat(h.started).isEmpty();
    }

    @Test
    void deadlinesWithinOneMillisecondShareOneTimer() {
        QueueHarness h = fixedLimit(1);
        h.accept(tenant("a"), "m", "running", NONE);
        int before = h.timer.scheduledEver;
        for (int i = 0; i < 100; i++) {
            h.accept(tenant("a"), "m", "q" + i, 2 * MS + i * 5 * US);
        }
        assertThat(h.timer.scheduledEver - before).isEqualTo(1);
        h.advance(3 * MS);
        assertThat(h.expired)
                .hasSize(100)
                .allSatisfy((job, why) -> assertThat(why).isEqualTo(Expiry.DEADLINE_EXCEEDED));
        assertThat(h.timer.pending()).isZero();
    }

    @Test
    void aFormedUnitThatCannotStartStillExpiresAtItsDeadline() {
        QueueHarness h = fixedLimit(2); // SHEDDABLE may run 1
        h.accept(tenant("d"), "m", "d0", NONE);
        h.accept(tenant("s", Priority.SHEDDABLE), "m", "s0", 4 * MS);
        assertThat(h.started).hasSize(1);
        assertThat(h.queue.queued()).isEqualTo(1);
        h.advance(5 * MS);
        assertThat(h.expired).containsEntry("s0", Expiry.DEADLINE_EXCEEDED);
        assertThat(h.queue.queued()).isZero();
    }

    @Test
    void aFormedUnitWhoseDeadlinePassedIsAnsweredRatherThanStartedWhenRoomFrees() {
        QueueHarness h = fixedLimit(2); // SHEDDABLE may run 1
        h.accept(tenant("d"), "m", "d0", NONE);
        h.accept(tenant("s", Priority.SHEDDABLE), "m", "s0", 4 * MS);
        h.accept(tenant("s", Priority.SHEDDABLE), "m", "s1", NONE);
        // d0 finishes between s0's deadline (4 ms) and its timer (5 ms): s0 is answered, s1 starts.
        h.finishNext(4 * MS + 500 * US);
        assertThat(h.expired).containsEntry("s0", Expiry.DEADLINE_EXCEEDED);
        assertThat(h.startedJobs()).containsExactly(List.of("s1"));
    }

    @Test
    void aHoldPausesDispatchWhileDeadlinesStillExpire() {
        QueueHarness h = fixedLimit(2);
        DeviceQueue.Hold hold = h.queue.hold();
        h.accept(tenant("a"), "m", "expires", 2 * MS);
        h.accept(tenant("a"), "m", "waits", NONE);
        assertThat(h.started).isEmpty();
        assertThat(h.submit(new Caller("z", Priority.DEFAULT, 10, 0), "m", "z0", NONE))
                .as("a held device is busy for a tenant that may not queue")
                .get()
                .extracting(Refused::reason)
                .isEqualTo(Refusal.TENANT_QUEUE_FULL);
        h.advance(3 * MS);
        assertThat(h.expired).containsOnlyKeys("expires");
        assertThat(h.started).isEmpty();
        hold.close();
        assertThat(h.startedJobs()).containsExactly(List.of("waits"));
        assertThat(h.started.get(0).waitedNanos(0)).isEqualTo(3 * MS);
        hold.close(); // idempotent
        assertThat(h.queue.inFlight()).isEqualTo(1);
    }

    @Test
    void closingAnswersWhatWaitsRefusesWhatComesAndLetsRunningWorkFinish() {
        QueueHarness h = fixedLimit(1);
        h.accept(tenant("a"), "m", "running", NONE);
        h.accept(tenant("a"), "m", "w1", 10 * MS);
        h.accept(tenant("b"), "m", "w2", NONE);
        assertThat(h.timer.pending()).isPositive();
        h.queue.close();
        assertThat(h.expired).containsOnlyKeys("w1", "w2").containsValue(Expiry.CLOSED);
        assertThat(h.events).noneMatch(e -> e.startsWith("rejected"));
        assertThat(h.timer.pending()).isZero();
        assertThat(h.submit(tenant("a"), "m", "after", NONE)).get().isEqualTo(new Refused(Refusal.CLOSED, 0, 0, 0));
        h.finishNext(MS);
        assertThat(h.started).isEmpty();
        assertThat(h.queue.inFlight()).isZero();
        h.queue.close(); // idempotent
    }

    @Test
    void aUnitReportedFinishedTwiceIsABug() {
        QueueHarness h = fixedLimit(1);
        h.accept(tenant("a"), "m", "a0", NONE);
        WorkUnit<String, String> u = h.started.get(0);
        u.finished(false);
        assertThatThrownBy(() -> u.finished(false)).isInstanceOf(IllegalStateException.class);
        assertThat(h.queue.inFlight()).isZero();
    }

    @Test
    void aStartThatThrowsFreesItsSlot() {
        long[] now = {0};
        List<String> expired = new ArrayList<>();
        DeviceQueue<String, String> q = DeviceQueue.create(
                DeviceQueue.Config.forThreads(1),
                () -> now[0],
                (delay, task) -> () -> {},
                new DeviceQueue.Dispatch<>() {
                    @Override
                    public void start(WorkUnit<String, String> unit) {
                        throw new IllegalStateException("boom");
                    }

                    @Override
                    public void expired(String job, Expiry why, long waitedNanos) {
                        expired.add(job);
                    }
                },
                QueueObserver.none());
        assertThat(q.submit(DeviceRequest.single(tenant("a"), "m", "a0", NONE))).isEmpty();
        assertThat(q.inFlight()).isZero();
    }

    @Test
    void theLimitGrowsWhileRunTimesStayFlatAndBacksOffOnOverload() {
        QueueHarness h = new QueueHarness(DeviceQueue.Config.forThreads(2));
        assertThat(h.queue.limit()).isEqualTo(2);
        for (int i = 0; i < 200; i++) {
            h.accept(tenant("a"), "m", "a" + i, NONE);
        }
        for (int round = 0; round < 10; round++) {
            // Everything running now finishes after the same run time: no queue builds on the device.
            h.advance(MS);
            List<WorkUnit<String, String>> running = new ArrayList<>(h.started);
            h.started.clear();
            running.forEach(u -> u.finished(false));
        }
        assertThat(h.queue.limit()).as("4x the threads at most").isEqualTo(8);
        assertThat(h.queue.inFlight()).isEqualTo(8);
        h.advance(MS);
        h.started.remove(0).finished(true);
        assertThat(h.queue.limit()).isEqualTo(7);
    }

    @Test
    void refusalsAreRetriableOnlyWhereARetryCanHelp() {
        QueueHarness h = fixedLimit(1, 1);
        h.accept(tenant("a"), "m", "a0", NONE);
        h.accept(tenant("a"), "m", "a1", NONE);
        Refused full = h.submit(tenant("a"), "m", "a2", NONE).orElseThrow();
        assertThat(full.retryAfterMillis()).isPositive();
        Refused late =
                h.submit(tenant("a", Priority.CRITICAL), "m", "c0", h.now).orElseThrow();
        assertThat(late.reason()).isEqualTo(Refusal.DEADLINE_EXCEEDED);
        assertThat(late.retryAfterMillis()).isZero();
    }

    @Test
    void aSeededMixOfTenantsAndDeadlinesAnswersEveryRequestExactlyOnce() {
        QueueHarness h = fixedLimit(3, 64);
        Random random = new Random(7);
        int accepted = 0;
        int finished = 0;
        for (int i = 0; i < 5_000; i++) {
            Caller c = new Caller(
                    "t" + random.nextInt(4), Priority.values()[random.nextInt(3)], 5 + random.nextInt(20), 32);
            long deadline = random.nextBoolean() ? NONE : h.now + (1 + random.nextInt(20)) * MS;
            if (h.submit(c, "m", "j" + i, deadline).isEmpty()) {
                accepted++;
            }
            if (!h.started.isEmpty() && random.nextInt(3) > 0) {
                finished += h.finishNext(random.nextInt((int) (2 * MS))).size();
            } else {
                h.advance(random.nextInt((int) MS));
            }
        }
        while (!h.started.isEmpty() || h.queue.queued() > 0) {
            if (h.started.isEmpty()) {
                h.advance(MS);
            } else {
                finished += h.finishNext(MS).size();
            }
        }
        assertThat(finished + h.expired.size()).isEqualTo(accepted);
        assertThat(h.expired)
                .isNotEmpty()
                .allSatisfy((job, why) -> assertThat(why).isEqualTo(Expiry.DEADLINE_EXCEEDED));
        assertThat(h.queue.inFlight()).isZero();
        h.advance(30 * MS);
        assertThat(h.timer.pending()).as("every deadline timer ran").isZero();
    }
}
