package dev.modelmux.node.predlog.internal;

import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.predlog.PredictionLog;
import dev.modelmux.node.predlog.PredictionLogConfig;
import dev.modelmux.node.predlog.PredictionRecord;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/** {@link PredictionLog} on a {@link SegmentedLog} of {@code predictions-*.jsonl} segments. */
public final class FilePredictionLog implements PredictionLog {
    public static final String PREFIX = "predictions";
    public static final String METRIC_PREFIX = "modelmux_prediction_log";

    private static final SegmentedLog.Encoder<PredictionRecord> ENCODER = new SegmentedLog.Encoder<>() {
        @Override
        public void encode(PredictionRecord r, StringBuilder out) {
            FilePredictionLog.encode(r, out);
        }

        @Override
        public int estimate(PredictionRecord r) {
            return 240
                    + Json.estimate(r.requestId())
                    + Json.estimate(r.tenant())
                    + Json.estimate(r.endpoint())
                    + Json.estimate(r.model())
                    + Json.estimate(r.features())
                    + Json.estimate(r.output())
                    + Json.estimate(r.decision())
                    + Json.estimate(r.ladderStep());
        }
    };

    private final SegmentedLog<PredictionRecord> log;

    private FilePredictionLog(SegmentedLog<PredictionRecord> log) {
        this.log = log;
    }

    /** A log in {@code dir}, not yet started: appends queue up until {@link #start}. No I/O. */
    public static FilePredictionLog create(
            Path dir, PredictionLogConfig config, MeterRegistry registry, LongSupplier clockMillis) {
        return new FilePredictionLog(
                new SegmentedLog<>(dir, PREFIX, config, ENCODER, clockMillis, registry, METRIC_PREFIX));
    }

    /** Opens the directory (recovering an earlier run's open segment) and starts the writer. Blocking. */
    public FilePredictionLog start() {
        log.start();
        return this;
    }

    @Override
    public boolean append(PredictionRecord r) {
        return log.append(r);
    }

    @Override
    public CompletableFuture<Void> appendDurable(PredictionRecord r) {
        return log.appendDurable(r);
    }

    @Override
    public LogDurability durability() {
        return log.durability();
    }

    @Override
    public long dropped() {
        return log.dropped();
    }

    /** Records written so far. */
    public long written() {
        return log.written();
    }

    /** Records lost to write errors (a full disk) so far. */
    public long writeErrors() {
        return log.writeErrors();
    }

    /** Completes once everything appended before is written and flushed (tests, tools). */
    public CompletableFuture<Void> flush() {
        return log.flush();
    }

    /** The segmented log underneath (tests: pause hooks). */
    public SegmentedLog<PredictionRecord> segments() {
        return log;
    }

    @Override
    public void close() {
        log.close();
    }

    static void encode(PredictionRecord r, StringBuilder out) {
        out.append('{');
        Json.key(out, "kind", true);
        Json.string(out, r.kind());
        Json.key(out, "request_id", false);
        Json.value(out, r.requestId());
        Json.key(out, "tenant", false);
        Json.value(out, r.tenant());
        Json.key(out, "endpoint", false);
        Json.value(out, r.endpoint());
        Json.key(out, "model", false);
        Json.value(out, r.model());
        Json.key(out, "version", false);
        out.append(r.version());
        Json.key(out, "policy_version", false);
        out.append(r.policyVersion());
        Json.key(out, "features", false);
        Json.value(out, r.features());
        Json.key(out, "output", false);
        Json.value(out, r.output());
        Json.key(out, "score", false);
        Json.value(out, r.score());
        Json.key(out, "decision", false);
        Json.value(out, r.decision());
        Json.key(out, "latency_micros", false);
        out.append(r.latencyMicros());
        Json.key(out, "ladder_step", false);
        Json.value(out, r.ladderStep());
        Json.key(out, "fallback_used", false);
        out.append(r.fallbackUsed());
        Json.key(out, "at_millis", false);
        out.append(r.atMillis());
        out.append('}');
    }
}
