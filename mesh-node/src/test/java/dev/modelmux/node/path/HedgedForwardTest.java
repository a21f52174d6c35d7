package dev.modelmux.node.path;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admission.sched.WakeTimer;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The hedge race with a fake clock, a manual timer and calls the test answers by hand. */
class HedgedForwardTest {
    private static final NodeRecord FIRST = new NodeRecord("first", "127.0.0.1", 1, List.of(), false, 0);
    private static final NodeRecord SECOND = new NodeRecord("second", "127.0.0.1", 2, List.of(), false, 0);
    private static final long DELAY = 5_000_000L;

    private long now;
    private final List<Runnable> due = new ArrayList<>();
    private final List<Runnable> pending = new ArrayList<>();
    private final Map<String, Promise<ModelInferResponse>> calls = new HashMap<>();
    private final Map<String, Future<Void>> cancels = new HashMap<>();
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger won = new AtomicInteger();

    /** A policy with room for {@code tokens} hedges, warmed with answers of {@code DELAY}. */
    private static HedgePolicy policy(int forwards) {
        HedgePolicy p = new HedgePolicy(0.5, 2.0, 8, 1, 0);
        p.answered("m", DELAY);
        for (int i = 0; i < forwards; i++) {
            p.forwarding("m");
        }
        return p;
    }

    private HedgedForward start(HedgePolicy policy) {
        WakeTimer timer = (delay, task) -> {
            assertThat(delay).isEqualTo(DELAY);
            pending.add(task);
            return () -> pending.remove(task);
        };
        return HedgedForward.start(
                "m",
                FIRST,
                SECOND,
                DELAY,
                policy,
                timer,
                () -> now,
                (target, cancel) -> {
                    Promise<ModelInferResponse> p = Promise.promise();
                    calls.put(target.nodeId(), p);
                    cancels.put(target.nodeId(), cancel);
                    return p.future();
                },
                new HedgedForward.Counters() {
                    @Override
                    public void sent(String model) {
                        sent.incrementAndGet();
                    }

                    @Override
                    public void won(String model) {
                        won.incrementAndGet();
                    }
                });
    }

    private void advance(long nanos) {
        now += nanos;
        due.addAll(pending);
        pending.clear();
        due.forEach(Runnable::run);
        due.clear();
    }

    private static ModelInferResponse answer(String by) {
        return ModelInferResponse.newBuilder().setId(by).build();
    }

    @Test
    void anAnswerBeforeTheDelaySendsNoHedgeAndStopsTheTimer() {
        HedgedForward race = start(policy(4));
        now += 1_000_000L;
        calls.get("first").complete(answer("first"));

        assertThat(race.answer().result().getId()).isEqualTo("first");
        assertThat(pending).as("the timer is cancelled").isEmpty();
        advance(DELAY);
        assertThat(calls).containsOnlyKeys("first");
        assertThat(race.hedged()).isFalse();
        assertThat(sent.get()).isZero();
    }

    @Test
    void aSilentFirstHolderIsHedgedAndTheSecondAnswerWinsAndCancelsTheFirst() {
        HedgePolicy policy = policy(4);
        HedgedForward race = start(policy);
        advance(DELAY);
        assertThat(calls).containsKeys("first", "second");
        assertThat(sent.get()).isEqualTo(1);

        now += 2_000_000L;
        calls.get("second").complete(answer("second"));
        assertThat(race.answer().result().getId()).isEqualTo("second");
        assertThat(cancels.get("first").succeeded())
                .as("the loser is cancelled")
                .isTrue();
        assertThat(cancels.get("second").isComplete()).isFalse();
        assertThat(won.get()).isEqualTo(1);
        // The loser's late answer changes nothing.
        calls.get("first").complete(answer("first"));
        assertThat(race.answer().result().getId()).isEqualTo("second");
        assertThat(won.get()).isEqualTo(1);
    }

    @Test
    void theFirstAnswerStillWinsAfterAHedgeWentOut() {
        HedgedForward race = start(policy(4));
        advance(DELAY);
        calls.get("first").complete(answer("first"));

        assertThat(race.answer().result().getId()).isEqualTo("first");
        assertThat(cancels.get("second").succeeded()).isTrue();
        assertThat(cancels.get("first").isComplete()).isFalse();
        assertThat(sent.get()).isEqualTo(1);
        assertThat(won.get()).isZero();
    }

    @Test
    void withoutBudgetNothingIsHedged() {
        HedgePolicy policy = policy(1); // half a token: not enough for one hedge
        HedgedForward race = start(policy);
        advance(DELAY);
        assertThat(calls).containsOnlyKeys("first");
        assertThat(race.hedged()).isFalse();

        calls.get("first").complete(answer("first"));
        assertThat(race.answer().result().getId()).isEqualTo("first");
    }

    @Test
    void theBudgetCapsHedgesOverManyRaces() {
        // share 0.5, burst 2: 20 forwards earn at most 2 + 10 tokens' worth, spent one per hedge.
        HedgePolicy policy = new HedgePolicy(0.5, 2.0, 8, 1, 0);
        policy.answered("m", DELAY);
        for (int i = 0; i < 20; i++) {
            OptionalLong delay = policy.forwarding("m");
            assertThat(delay).isPresent();
            start(policy);
            advance(DELAY);
            calls.get("first").complete(answer("first"));
            if (calls.containsKey("second")) {
                calls.get("second").complete(answer("second"));
            }
            calls.clear();
        }
        assertThat(sent.get()).isBetween(10, 11);
    }

    @Test
    void aFailureWaitsForTheOtherCallAndBothFailingAnswersTheFirstFailure() {
        HedgedForward race = start(policy(4));
        advance(DELAY);
        calls.get("first").fail(new ServingException(ServingException.Code.INTERNAL, "first broke"));
        assertThat(race.answer().isComplete()).as("the hedge may still answer").isFalse();

        calls.get("second").fail(ServingException.peerUnreachable("second gone"));
        assertThat(race.answer().failed()).isTrue();
        assertThat(race.answer().cause()).hasMessage("first broke");
    }

    @Test
    void aFailedFirstCallIsRescuedByTheHedge() {
        HedgedForward race = start(policy(4));
        advance(DELAY);
        calls.get("first").fail(ServingException.peerUnreachable("first gone"));
        calls.get("second").complete(answer("second"));

        assertThat(race.answer().result().getId()).isEqualTo("second");
        assertThat(won.get()).isEqualTo(1);
    }

    @Test
    void aFirstCallFailingBeforeTheDelayFailsAtOnceWithoutAHedge() {
        HedgedForward race = start(policy(4));
        calls.get("first").fail(ServingException.peerUnreachable("first gone"));

        assertThat(race.answer().failed()).isTrue();
        assertThat(HedgedForward.peerDown(race.answer().cause())).isTrue();
        assertThat(pending).isEmpty();
        advance(DELAY);
        assertThat(calls).containsOnlyKeys("first");
        assertThat(race.hedged()).isFalse();
    }
}
