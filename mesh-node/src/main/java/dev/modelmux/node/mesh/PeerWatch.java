package dev.modelmux.node.mesh;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds a silent peer from the forward path itself, long before the cluster's failure detector
 * does (Hazelcast suspects a member after about 10 s of missed heartbeats; a partition that drops
 * packets without a reset would hold every forward to it until the request's deadline).
 *
 * <p>While a forward waits for its answer, the connection it went out on is probed with an HTTP/2
 * PING every {@code probeAfter}: a peer whose process is alive answers at once, however long its
 * device takes. A PING unanswered within {@code pingTimeout}, or a call that cannot even be opened
 * within {@code probeAfter + pingTimeout}, marks the peer suspected for {@code suspectFor}: the
 * forward fails as "peer unreachable" (the router then tries another holder or serves the request
 * itself), and routing avoids the peer until the suspicion expires or a forward to it succeeds.
 * So no request waits on a silent peer for much more than {@code probeAfter + pingTimeout}.
 *
 * <p>Threading: timers and PING answers run on event loops; the maps are concurrent.
 */
public final class PeerWatch {
    private static final Logger LOG = LoggerFactory.getLogger(PeerWatch.class);
    /** Defaults: a forward is probed after 250 ms; a PING has 750 ms; a silent peer is avoided for 5 s. */
    public static final long PROBE_AFTER_MS = 250;

    public static final long PING_TIMEOUT_MS = 750;
    public static final long SUSPECT_FOR_MS = 5_000;
    private static final Buffer PING = Buffer.buffer(new byte[] {'m', 'm', 'x', 'p', 'i', 'n', 'g', '!'});

    private final Vertx vertx;
    private final LongSupplier nanoClock;
    private final long probeAfterMs;
    private final long pingTimeoutMs;
    private final long suspectForNanos;
    private final Consumer<String> onSuspect;
    private final Map<String, Long> suspectedUntil = new ConcurrentHashMap<>();
    private final Map<HttpConnection, Future<Void>> pings = new ConcurrentHashMap<>();

    public PeerWatch(
            Vertx vertx,
            LongSupplier nanoClock,
            long probeAfterMs,
            long pingTimeoutMs,
            long suspectForMs,
            Consumer<String> onSuspect) {
        this.vertx = vertx;
        this.nanoClock = nanoClock;
        this.probeAfterMs = probeAfterMs;
        this.pingTimeoutMs = pingTimeoutMs;
        this.suspectForNanos = TimeUnit.MILLISECONDS.toNanos(suspectForMs);
        this.onSuspect = onSuspect;
    }

    /** Whether {@code nodeId} stopped answering recently and has not answered since. */
    public boolean suspected(String nodeId) {
        Long until = suspectedUntil.get(nodeId);
        if (until == null) {
            return false;
        }
        if (nanoClock.getAsLong() - until >= 0) {
            suspectedUntil.remove(nodeId, until);
            return false;
        }
        return true;
    }

    /** A forward to {@code nodeId} was answered: it is alive. */
    public void answered(String nodeId) {
        suspectedUntil.remove(nodeId);
    }

    /**
     * {@code opened}, or a failure (and the peer suspected) when it has not completed within
     * {@code probeAfter + pingTimeout}; what opens after that is handed to {@code late} to be disposed of.
     */
    public <T> Future<T> opening(String nodeId, Future<T> opened, Consumer<T> late) {
        if (opened.isComplete()) {
            return opened;
        }
        Promise<T> out = Promise.promise();
        long budget = probeAfterMs + pingTimeoutMs;
        long timer = vertx.setTimer(budget, id -> {
            if (out.tryFail("node " + nodeId + " did not open a call within " + budget + " ms")) {
                suspect(nodeId);
            }
        });
        opened.onComplete(ar -> {
            vertx.cancelTimer(timer);
            boolean taken = ar.succeeded() ? out.tryComplete(ar.result()) : out.tryFail(ar.cause());
            if (!taken && ar.succeeded()) {
                late.accept(ar.result());
            }
        });
        return out.future();
    }

    /**
     * Watches a call to {@code nodeId} on {@code connection} until {@code answered} completes; the
     * returned future fails (and the peer is suspected) when the connection stops answering PINGs
     * meanwhile. It never completes otherwise.
     */
    public Future<Void> watch(String nodeId, HttpConnection connection, Future<?> answered) {
        Promise<Void> silent = Promise.promise();
        AtomicLong timer = new AtomicLong(-1);
        answered.onComplete(ar -> vertx.cancelTimer(timer.get()));
        arm(nodeId, connection, answered, silent, timer);
        return silent.future();
    }

    private void arm(
            String nodeId, HttpConnection connection, Future<?> answered, Promise<Void> silent, AtomicLong timer) {
        if (answered.isComplete()) {
            return;
        }
        timer.set(vertx.setTimer(probeAfterMs, id -> {
            if (answered.isComplete()) {
                return;
            }
            ping(connection).onComplete(ar -> {
                if (ar.succeeded()) {
                    arm(nodeId, connection, answered, silent, timer); // alive: look again later
                } else if (!answered.isComplete() && silent.tryFail(ar.cause())) {
                    suspect(nodeId);
                }
            });
        }));
    }

    /** One PING per connection at a time, however many calls wait on it. */
    private Future<Void> ping(HttpConnection connection) {
        Future<Void> running = pings.get(connection);
        if (running != null) {
            return running;
        }
        Promise<Void> p = Promise.promise();
        Future<Void> f = p.future();
        Future<Void> raced = pings.putIfAbsent(connection, f);
        if (raced != null) {
            return raced;
        }
        long timer = vertx.setTimer(
                pingTimeoutMs, id -> p.tryFail("no answer to an HTTP/2 PING within " + pingTimeoutMs + " ms"));
        f.onComplete(ar -> {
            vertx.cancelTimer(timer);
            pings.remove(connection, f);
        });
        try {
            connection.ping(PING).onComplete(ar -> {
                if (ar.succeeded()) {
                    p.tryComplete();
                } else {
                    p.tryFail(ar.cause());
                }
            });
        } catch (RuntimeException e) {
            p.tryFail(e);
        }
        return f;
    }

    private void suspect(String nodeId) {
        Long before = suspectedUntil.put(nodeId, nanoClock.getAsLong() + suspectForNanos);
        if (before == null) {
            LOG.warn(
                    "node {} stopped answering forwards (no answer to an HTTP/2 PING within {} ms); requests go to "
                            + "other holders or are served here for the next {} s",
                    nodeId,
                    pingTimeoutMs,
                    TimeUnit.NANOSECONDS.toSeconds(suspectForNanos));
        }
        onSuspect.accept(nodeId);
    }
}
