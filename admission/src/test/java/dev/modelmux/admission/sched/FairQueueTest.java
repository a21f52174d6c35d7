package dev.modelmux.admission.sched;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.Priority;
import dev.modelmux.admission.sched.FairQueue.OfferResult;
import dev.modelmux.admission.sched.FairQueue.Queued;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FairQueueTest {

    private static final long MS = 1_000_000L;
    private static final long FAR = Long.MAX_VALUE / 2;

    private final List<Queued<String>> expired = new ArrayList<>();

    private FairQueue<String> queue(int maxQueued) {
        return FairQueue.create(new FairQueue.Config(maxQueued, 1, 1024), expired::add);
    }

    @Test
    void floodingTenantGetsTheRestWhileTheModestTenantsWaitStaysBounded() {
        // Service: one unit-cost item per simulated millisecond. Equal weights: a share is 0.5/ms.
        // A offers 5/ms (10x its share); B offers 0.25/ms on average (half its share), random arrivals.
        FairQueue<String> q = queue(64);
        Random random = new Random(42);
        int ticks = 20_000;
        long bOffered = 0, bServed = 0, aServed = 0, aRejected = 0, bMaxWait = 0;
        for (int i = 0; i < ticks; i++) {
            long now = i * MS;
            for (int k = 0; k < 5; k++) {
                if (!q.offer("A", 1, Priority.DEFAULT, "a", 1, FAR, now).accepted()) {
                    aRejected++;
                }
            }
            if (random.nextDouble() < 0.25) {
                assertThat(q.offer("B", 1, Priority.DEFAULT, "b", 1, FAR, now)).isEqualTo(OfferResult.ACCEPTED);
                bOffered++;
            }
            Queued<String> served = q.poll(now).orElseThrow();
            if (served.tenantId().equals("B")) {
                bServed++;
                bMaxWait = Math.max(bMaxWait, now - served.enqueuedNanos());
            } else {
                aServed++;
            }
        }
        assertThat(bMaxWait).isLessThanOrEqualTo(10 * MS);
        assertThat(bServed).isGreaterThanOrEqualTo(bOffered - 10);
        assertThat(aServed + bServed).isEqualTo(ticks); // no capacity left idle
        assertThat(aServed).isGreaterThan(ticks * 7 / 10);
        assertThat(aRejected).isPositive(); // A's bounded queue pushes back instead of growing
        assertThat(q.depth("A")).isLessThanOrEqualTo(64);
    }

    @Test
    void loneTenantGetsAllCapacity() {
        FairQueue<String> q = queue(1000);
        for (int i = 0; i < 100; i++) {
            q.offer("A", 1, Priority.DEFAULT, "a" + i, 1, FAR, 0);
        }
        for (int i = 0; i < 100; i++) {
            assertThat(q.poll(i).orElseThrow().item()).isEqualTo("a" + i);
        }
        assertThat(q.poll(100)).isEmpty();
        assertThat(q.depth()).isZero();
    }

    @Test
    void weightsThreeToOneGiveThreeToOneService() {
        FairQueue<String> q = queue(100);
        int a = 0, b = 0;
        for (int i = 0; i < 4_000; i++) {
            while (q.depth("A") < 10) {
                q.offer("A", 3, Priority.DEFAULT, "a", 1, FAR, i);
            }
            while (q.depth("B") < 10) {
                q.offer("B", 1, Priority.DEFAULT, "b", 1, FAR, i);
            }
            if (q.poll(i).orElseThrow().tenantId().equals("A")) {
                a++;
            } else {
                b++;
            }
        }
        assertThat((double) a / b).isBetween(2.95, 3.05);
    }

    @Test
    void costUnitsCountAgainstTheShare() {
        // A sends cost-4 items, B cost-1 items, equal weights: B gets ~4 items per A item.
        FairQueue<String> q = FairQueue.create(new FairQueue.Config(100, 4, 1024), expired::add);
        long aUnits = 0, bUnits = 0;
        for (int i = 0; i < 4_000; i++) {
            while (q.depth("A") < 5) {
                q.offer("A", 1, Priority.DEFAULT, "a", 4, FAR, i);
            }
            while (q.depth("B") < 5) {
                q.offer("B", 1, Priority.DEFAULT, "b", 1, FAR, i);
            }
            Queued<String> s = q.poll(i).orElseThrow();
            if (s.tenantId().equals("A")) {
                aUnits += s.costUnits();
            } else {
                bUnits += s.costUnits();
            }
        }
        assertThat((double) aUnits / bUnits).isBetween(0.95, 1.05);
    }

    @Test
    void expiredItemsAreReportedNotServed() {
        FairQueue<String> q = queue(10);
        q.offer("A", 1, Priority.DEFAULT, "short", 1, 5 * MS, 0);
        q.offer("A", 1, Priority.DEFAULT, "long", 1, 50 * MS, 0);
        q.offer("B", 1, Priority.DEFAULT, "b-short", 1, 5 * MS, 0);

        Optional<Queued<String>> first = q.poll(10 * MS);

        assertThat(first.orElseThrow().item()).isEqualTo("long");
        assertThat(q.poll(10 * MS)).isEmpty(); // B's expired head is met on B's turn
        assertThat(expired).extracting(Queued::item).containsExactlyInAnyOrder("short", "b-short");
        assertThat(q.depth()).isZero();
    }

    @Test
    void expireSweepsItemsBehindTheHead() {
        FairQueue<String> q = queue(10);
        q.offer("A", 1, Priority.DEFAULT, "long", 1, 50 * MS, 0);
        q.offer("A", 1, Priority.DEFAULT, "short", 1, 5 * MS, 0);

        assertThat(q.expire(10 * MS)).isEqualTo(1);
        assertThat(expired).extracting(Queued::item).containsExactly("short");
        assertThat(q.depth("A")).isEqualTo(1);
    }

    @Test
    void rejectsWithAReason() {
        FairQueue<String> q = queue(2);
        assertThat(q.offer("A", 1, Priority.DEFAULT, "1", 1, FAR, 0)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer("A", 1, Priority.DEFAULT, "2", 1, FAR, 0)).isEqualTo(OfferResult.ACCEPTED);
        assertThat(q.offer("A", 1, Priority.CRITICAL, "3", 1, FAR, 0)).isEqualTo(OfferResult.QUEUE_FULL);
        assertThat(q.offer("B", 1, Priority.DEFAULT, "4", 1, 10, 10)).isEqualTo(OfferResult.DEADLINE_EXCEEDED);
        assertThat(q.offer("B", 1, Priority.DEFAULT, "5", 2000, FAR, 0)).isEqualTo(OfferResult.COST_OUT_OF_RANGE);
        assertThat(q.depth()).isEqualTo(2);
        assertThat(q.depth("B")).isZero();
    }

    @Test
    void withinATenantCriticalIsServedFirst() {
        FairQueue<String> q = queue(10);
        q.offer("A", 1, Priority.SHEDDABLE, "s", 1, FAR, 0);
        q.offer("A", 1, Priority.DEFAULT, "d", 1, FAR, 0);
        q.offer("A", 1, Priority.CRITICAL, "c", 1, FAR, 0);
        assertThat(List.of(
                        q.poll(1).orElseThrow().item(),
                        q.poll(2).orElseThrow().item(),
                        q.poll(3).orElseThrow().item()))
                .containsExactly("c", "d", "s");
    }
}
