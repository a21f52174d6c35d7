package dev.modelmux.node.predlog.internal;

import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.predlog.PredictionLogConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/** The label log: {@code labels-*.jsonl} segments, on the prediction log's machinery and settings. */
public final class LabelLog implements AutoCloseable {
    public static final String PREFIX = "labels";

    private static final SegmentedLog.Encoder<LabelRecord> ENCODER = new SegmentedLog.Encoder<>() {
        @Override
        public void encode(LabelRecord r, StringBuilder out) {
            LabelRecord.encode(r, out);
        }

        @Override
        public int estimate(LabelRecord r) {
            return 48 + Json.estimate(r.requestId()) + Json.estimate(r.label());
        }
    };

    private final SegmentedLog<LabelRecord> log;

    private LabelLog(SegmentedLog<LabelRecord> log) {
        this.log = log;
    }

    /** Not yet started; no I/O. */
    public static LabelLog create(
            Path dir, PredictionLogConfig config, MeterRegistry registry, LongSupplier clockMillis) {
        return new LabelLog(
                new SegmentedLog<>(dir, PREFIX, config, ENCODER, clockMillis, registry, "modelmux_label_log"));
    }

    /** Blocking. */
    public LabelLog start() {
        log.start();
        return this;
    }

    boolean append(LabelRecord r) {
        return log.append(r);
    }

    /** Queues a label; the future completes once it is fsynced (see {@link SegmentedLog#appendDurable}). */
    CompletableFuture<Void> appendDurable(LabelRecord r) {
        return log.appendDurable(r);
    }

    public LogDurability durability() {
        return log.durability();
    }

    /** The segmented log underneath (tests). */
    public SegmentedLog<LabelRecord> segments() {
        return log;
    }

    public CompletableFuture<Void> flush() {
        return log.flush();
    }

    public long dropped() {
        return log.dropped();
    }

    @Override
    public void close() {
        log.close();
    }
}
