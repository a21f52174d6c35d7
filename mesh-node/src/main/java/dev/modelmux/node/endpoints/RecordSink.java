package dev.modelmux.node.endpoints;

import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.predlog.PredictionLog;
import dev.modelmux.node.predlog.PredictionRecord;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where endpoint requests are recorded: the prediction log (whose append never blocks), for a
 * sample of requests chosen by the hash of the request id under the endpoint's
 * {@code log.sample_rate} (so a request and its shadow are logged together or not at all), and
 * any listeners (tests, tools), which see the same records. Under {@code always} durability (the
 * endpoint's {@code log.durability}, else the node's) the request path waits for
 * {@link #offerDurable} before answering.
 */
final class RecordSink {
    private static final Logger LOG = LoggerFactory.getLogger(RecordSink.class);

    private final PredictionLog log;
    private final EndpointMetrics metrics;
    private final List<Consumer<PredictionRecord>> listeners = new CopyOnWriteArrayList<>();

    RecordSink(PredictionLog log, EndpointMetrics metrics) {
        this.log = log;
        this.metrics = metrics;
    }

    static boolean sampled(EndpointSpec e, String requestId) {
        return StableHash.sampled(e.name() + "/log", requestId, e.logSampleRate());
    }

    /** Whether a request of {@code e} is answered only once its record is fsynced ({@code always}). */
    boolean waits(EndpointSpec e) {
        LogDurability d = e.logDurability() != null ? e.logDurability() : log.durability();
        return d == LogDurability.ALWAYS;
    }

    /**
     * Records {@code r} (when sampled); the future completes, on {@code context}, once the record is
     * fsynced (on {@code context}, when not null), or fails with the log's reason (a full buffer, a full disk) so that the request fails
     * with it. Call it only for an endpoint that {@link #waits}.
     */
    Future<Void> offerDurable(EndpointSpec e, PredictionRecord r, Context context) {
        if (!sampled(e, r.requestId())) {
            return Future.succeededFuture();
        }
        notify(r);
        CompletableFuture<Void> durable = log.appendDurable(r);
        Future<Void> f =
                context == null ? Future.fromCompletionStage(durable) : Future.fromCompletionStage(durable, context);
        return f.recover(t -> {
            metrics.logRefused();
            return Future.failedFuture(ServingException.of(t));
        });
    }

    void offer(EndpointSpec e, PredictionRecord r) {
        if (!sampled(e, r.requestId())) {
            return;
        }
        try {
            if (!log.append(r)) {
                metrics.logRefused();
            }
        } catch (RuntimeException ex) {
            LOG.warn("prediction log: append failed: {}", ex.toString());
        }
        notify(r);
    }

    private void notify(PredictionRecord r) {
        for (Consumer<PredictionRecord> l : listeners) {
            l.accept(r);
        }
    }

    void listen(Consumer<PredictionRecord> listener) {
        listeners.add(listener);
    }
}
