package dev.modelmux.node.path;

import dev.modelmux.admission.sched.WakeTimer;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.LongSupplier;

/**
 * One forward raced against a second holder: the request goes to {@code first}; if no answer has
 * come after {@code delayNanos} and {@link HedgePolicy#tryHedge} allows it, the same request also
 * goes to {@code second}. The first success wins and the other call is cancelled (its stream reset:
 * the loser's answer is never read, and it is not admitted or logged twice, since admission and the
 * prediction log happen once, on the entry node). A failure waits for the other call when one is
 * still running; when both fail, the first call's failure is the answer.
 *
 * <p>Thread-safe: the calls' answers and the timer may complete on different threads.
 */
public final class HedgedForward {
    /** Sends the request to a holder; the call is cancelled when {@code cancel} completes. */
    @FunctionalInterface
    interface Send {
        Future<ModelInferResponse> send(NodeRecord target, Future<Void> cancel);
    }

    /** What hedging did, for the node's metrics. */
    public interface Counters {
        void sent(String model);

        void won(String model);

        /** Counters that count nothing. */
        Counters NONE = new Counters() {
            @Override
            public void sent(String model) {}

            @Override
            public void won(String model) {}
        };
    }

    private final String model;
    private final HedgePolicy policy;
    private final LongSupplier clock;
    private final Send send;
    private final Counters counters;
    private final Promise<ModelInferResponse> answer = Promise.promise();
    private final Promise<Void> cancelFirst = Promise.promise();
    private final Promise<Void> cancelSecond = Promise.promise();
    private WakeTimer.Cancellable timer;
    private boolean hedged;
    private boolean firstDone;
    private boolean secondDone;
    private Throwable firstFailure;

    private HedgedForward(String model, HedgePolicy policy, LongSupplier clock, Send send, Counters counters) {
        this.model = model;
        this.policy = policy;
        this.clock = clock;
        this.send = send;
        this.counters = counters;
    }

    /**
     * Starts the race; {@link #answer()} completes with the winning answer, or fails with the first
     * call's failure (when no hedge went out, or when both calls failed).
     */
    static HedgedForward start(
            String model,
            NodeRecord first,
            NodeRecord second,
            long delayNanos,
            HedgePolicy policy,
            WakeTimer timer,
            LongSupplier clock,
            Send send,
            Counters counters) {
        HedgedForward race = new HedgedForward(model, policy, clock, send, counters);
        long start = clock.getAsLong();
        WakeTimer.Cancellable t = timer.schedule(delayNanos, () -> race.hedge(second));
        synchronized (race) {
            race.timer = t;
        }
        send.send(first, race.cancelFirst.future()).onComplete(ar -> race.firstDone(ar, start));
        return race;
    }

    Future<ModelInferResponse> answer() {
        return answer.future();
    }

    /** Whether the second call went out (a failure then means both holders failed). */
    synchronized boolean hedged() {
        return hedged;
    }

    private void hedge(NodeRecord second) {
        synchronized (this) {
            if (firstDone || hedged) {
                return;
            }
            if (!policy.tryHedge(model)) {
                return;
            }
            hedged = true;
        }
        counters.sent(model);
        long start = clock.getAsLong();
        send.send(second, cancelSecond.future()).onComplete(ar -> secondDone(ar, start));
    }

    private void firstDone(AsyncResult<ModelInferResponse> ar, long start) {
        WakeTimer.Cancellable t;
        boolean otherRunning;
        synchronized (this) {
            firstDone = true;
            t = timer;
            otherRunning = hedged && !secondDone;
            if (ar.failed()) {
                firstFailure = ar.cause();
            }
        }
        if (t != null) {
            t.cancel();
        }
        if (ar.succeeded()) {
            if (answer.tryComplete(ar.result())) {
                policy.answered(model, clock.getAsLong() - start);
                cancelSecond.tryComplete();
            }
            return;
        }
        if (!otherRunning && !answer.future().isComplete()) {
            answer.tryFail(ar.cause());
        }
    }

    private void secondDone(AsyncResult<ModelInferResponse> ar, long start) {
        boolean otherRunning;
        Throwable first;
        synchronized (this) {
            secondDone = true;
            otherRunning = !firstDone;
            first = firstFailure;
        }
        if (ar.succeeded()) {
            if (answer.tryComplete(ar.result())) {
                policy.answered(model, clock.getAsLong() - start);
                counters.won(model);
                cancelFirst.tryComplete();
            }
            return;
        }
        if (!otherRunning) {
            answer.tryFail(first != null ? first : ar.cause());
        }
    }

    /** Whether a failure of a race means every holder it tried was unreachable. */
    static boolean peerDown(Throwable t) {
        return ServingException.of(t).reason() == ServingException.Reason.PEER_UNREACHABLE;
    }
}
