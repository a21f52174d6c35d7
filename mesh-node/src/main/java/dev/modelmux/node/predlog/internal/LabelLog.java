package dev.modelmux.node.predlog.internal;

import dev.modelmux.node.predlog.PredictionLogConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/** The label log: {@code labels-*.jsonl} segments, on the prediction log's machinery and settings. */
public final class LabelLog implements AutoCloseable {
    public static final String PREFIX = "labels";

    private final SegmentedLog<LabelRecord> log;

    private LabelLog(SegmentedLog<LabelRecord> log) {
        this.log = log;
    }

    /** Not yet started; no I/O. */
    public static LabelLog create(
            Path dir, PredictionLogConfig config, MeterRegistry registry, LongSupplier clockMillis) {
        return new LabelLog(new SegmentedLog<>(
                dir, PREFIX, config, LabelRecord::encode, clockMillis, registry, "modelmux_label_log"));
    }

    /** Blocking. */
    public LabelLog start() {
        log.start();
        return this;
    }

    boolean append(LabelRecord r) {
        return log.append(r);
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
