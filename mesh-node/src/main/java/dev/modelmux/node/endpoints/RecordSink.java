package dev.modelmux.node.endpoints;

import dev.modelmux.node.predlog.PredictionLog;
import dev.modelmux.node.predlog.PredictionRecord;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where endpoint requests are recorded: the prediction log (whose append never blocks), for a
 * sample of requests chosen by the hash of the request id under the endpoint's
 * {@code log.sample_rate} (so a request and its shadow are logged together or not at all), and
 * any listeners (tests, tools), which see the same records.
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
        for (Consumer<PredictionRecord> l : listeners) {
            l.accept(r);
        }
    }

    void listen(Consumer<PredictionRecord> listener) {
        listeners.add(listener);
    }
}
