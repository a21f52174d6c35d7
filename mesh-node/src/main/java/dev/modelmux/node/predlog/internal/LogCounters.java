package dev.modelmux.node.predlog.internal;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/** What a {@link SegmentedLog} counts, and its metrics: {@code <prefix>_dropped_total} and friends. */
final class LogCounters {
    final AtomicLong dropped = new AtomicLong();
    final AtomicLong written = new AtomicLong();
    final AtomicLong writeErrors = new AtomicLong();
    final AtomicLong segmentsClosed = new AtomicLong();
    final AtomicLong fsyncs = new AtomicLong();

    /** Registers the counters, and the depth of {@code queue}, under {@code metricPrefix}. */
    void register(
            MeterRegistry registry,
            String metricPrefix,
            Collection<?> queue,
            AtomicLong queuedBytes,
            BooleanSupplier failing) {
        FunctionCounter.builder(metricPrefix + "_dropped", dropped, AtomicLong::get)
                .description("Records dropped: the buffer was full (or the log closed)")
                .register(registry);
        FunctionCounter.builder(metricPrefix + "_written", written, AtomicLong::get)
                .description("Records written to a segment")
                .register(registry);
        FunctionCounter.builder(metricPrefix + "_write_errors", writeErrors, AtomicLong::get)
                .description(
                        "Records lost to a write error (disk full, I/O error), or while the log backs off after one")
                .register(registry);
        FunctionCounter.builder(metricPrefix + "_segments_closed", segmentsClosed, AtomicLong::get)
                .description("Segments closed (rotated by size or age, or at shutdown)")
                .register(registry);
        FunctionCounter.builder(metricPrefix + "_fsyncs", fsyncs, AtomicLong::get)
                .description("fsyncs of the open segment (one covers every record written before it: group commit)")
                .register(registry);
        Gauge.builder(metricPrefix + "_queue_depth", queue, Collection::size)
                .description("Records waiting for the writer")
                .register(registry);
        Gauge.builder(metricPrefix + "_queue_bytes", queuedBytes, AtomicLong::get)
                .description("Bytes of records waiting for the writer (estimated as encoded)")
                .register(registry);
        Gauge.builder(metricPrefix + "_failing", failing, f -> f.getAsBoolean() ? 1 : 0)
                .description("1 while the log cannot write (a full disk), until a retry succeeds")
                .strongReference(true)
                .register(registry);
    }
}
