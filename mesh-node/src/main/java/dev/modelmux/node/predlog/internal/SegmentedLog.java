package dev.modelmux.node.predlog.internal;

import dev.modelmux.node.predlog.PredictionLogConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only, segmented JSON-lines log with one writer thread draining a bounded queue.
 *
 * <p><b>Appending</b> is an {@code offer}: it never blocks, and a full queue (or a closed log)
 * drops the item and counts it. <b>Files</b>: {@code <prefix>-<startMillis:13>-<seq:6>.jsonl},
 * the one being written suffixed {@code .open}. A segment is closed (flushed, fsynced, stamped
 * with the log clock's close time as its modification time, renamed without {@code .open}) once
 * it reaches the size or the age limit, and on {@link #close}. The open segment is flushed to the
 * OS every second: a process crash loses at most about a second of records, a machine crash what
 * the OS had not yet written. A start renames segments a crash left {@code .open}, cutting a torn
 * last line. <b>Retention</b>: closed segments whose modification time is older than the
 * retention are deleted (checked at start, after each rotation and every minute).
 *
 * <p><b>Threading.</b> The writer alone touches files (through {@link SegmentFiles}). {@link #close} and {@link #start} block;
 * {@link #append} and {@link #flush} do not.
 */
public final class SegmentedLog<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentedLog.class);
    static final long FLUSH_INTERVAL_MS = 1000;
    static final long RETENTION_CHECK_MS = 60_000;
    private static final int BATCH = 1024;

    /** Writes one item as one JSON object (no newline). */
    public interface Encoder<T> {
        void encode(T item, StringBuilder out);
    }

    private enum State {
        OPEN,
        CLOSING,
        STOPPED
    }

    private final Path dir;
    private final String prefix;
    private final SegmentFiles files;
    private final PredictionLogConfig config;
    private final Encoder<T> encoder;
    private final LongSupplier clockMillis;
    private final ArrayBlockingQueue<T> queue;
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> barriers = new ConcurrentLinkedQueue<>();
    private final LogCounters counters = new LogCounters();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile State state = State.OPEN;
    private volatile Thread writer;
    private volatile boolean sleeping;
    private volatile boolean pauseRequested;
    private volatile CountDownLatch pausedAck = new CountDownLatch(1);
    private volatile CountDownLatch resumed = new CountDownLatch(0);

    // Writer-thread state.
    private final StringBuilder line = new StringBuilder(512);
    private SegmentFiles.Segment segment;
    private long lastFlushMillis;
    private long lastRetentionMillis;

    /**
     * @param metricPrefix e.g. {@code modelmux_prediction_log}: gives {@code <prefix>_dropped_total} and friends
     */
    public SegmentedLog(
            Path dir,
            String prefix,
            PredictionLogConfig config,
            Encoder<T> encoder,
            LongSupplier clockMillis,
            MeterRegistry registry,
            String metricPrefix) {
        this.dir = dir;
        this.prefix = prefix;
        this.files = new SegmentFiles(dir, prefix, config.retention());
        this.config = config;
        this.encoder = encoder;
        this.clockMillis = clockMillis;
        this.queue = new ArrayBlockingQueue<>(config.bufferRecords());
        if (registry != null) {
            counters.register(registry, metricPrefix, queue);
        }
    }

    /**
     * Creates the directory, closes segments a previous run left open, applies the retention, and
     * starts the writer. Blocking.
     *
     * @throws IllegalStateException naming the directory when it cannot be used
     */
    public void start() {
        try {
            files.prepare();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "data-dir: cannot use " + dir + " for the " + prefix + " log: " + e.getMessage());
        }
        long now = clockMillis.getAsLong();
        lastFlushMillis = now;
        lastRetentionMillis = now;
        applyRetention(now);
        Thread t = new Thread(this::run, "modelmux-" + prefix + "-writer");
        t.setDaemon(true);
        writer = t;
        t.start();
    }

    /** Queues {@code item}; false (and counted) when the buffer is full or the log closed. Never blocks. */
    public boolean append(T item) {
        if (state != State.OPEN) {
            counters.dropped.incrementAndGet();
            return false;
        }
        if (!queue.offer(item)) {
            counters.dropped.incrementAndGet();
            return false;
        }
        if (state == State.STOPPED && queue.remove(item)) {
            // The writer stopped between the check and the offer, and never saw it.
            counters.dropped.incrementAndGet();
            return false;
        }
        if (sleeping) {
            Thread w = writer;
            if (w != null) {
                LockSupport.unpark(w);
            }
        }
        return true;
    }

    /**
     * Completes once everything appended before the call is written and flushed to the OS, and
     * the rotation and retention checks ran at the log clock's time.
     */
    public CompletableFuture<Void> flush() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (state == State.STOPPED) {
            done.complete(null);
            return done;
        }
        barriers.add(done);
        wake();
        if (state == State.STOPPED && barriers.remove(done)) {
            done.complete(null);
        }
        return done;
    }

    public long dropped() {
        return counters.dropped.get();
    }

    public long written() {
        return counters.written.get();
    }

    public long writeErrors() {
        return counters.writeErrors.get();
    }

    public Path dir() {
        return dir;
    }

    /** Test hook: stops the writer between batches and returns once it has stopped. */
    public void pauseWriter() throws InterruptedException {
        resumed = new CountDownLatch(1);
        pausedAck = new CountDownLatch(1);
        pauseRequested = true;
        wake();
        pausedAck.await();
    }

    /** Test hook: lets a paused writer go on. */
    public void resumeWriter() {
        pauseRequested = false;
        resumed.countDown();
    }

    @Override
    public void close() {
        if (state == State.OPEN) {
            state = State.CLOSING;
        }
        resumeWriter();
        Thread w = writer;
        if (w == null) {
            state = State.STOPPED;
            counters.dropped.addAndGet(queue.size());
            queue.clear();
            return;
        }
        wake();
        try {
            stopped.get(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("{} log: writer did not stop cleanly: {}", prefix, e.toString());
        }
    }

    private void wake() {
        Thread w = writer;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    private void run() {
        List<T> batch = new ArrayList<>(BATCH);
        try {
            while (true) {
                if (pauseRequested) {
                    pausedAck.countDown();
                    resumed.await();
                    continue;
                }
                List<CompletableFuture<Void>> due = new ArrayList<>();
                for (CompletableFuture<Void> b; (b = barriers.poll()) != null; ) {
                    due.add(b);
                }
                boolean closing = state == State.CLOSING;
                drainAll(batch);
                long now = clockMillis.getAsLong();
                if (closing) {
                    state = State.STOPPED;
                    drainAll(batch); // appends that raced with the state change
                    closeSegment(now);
                    applyRetention(now);
                    due.forEach(b -> b.complete(null));
                    return;
                }
                maintain(now, !due.isEmpty());
                due.forEach(b -> b.complete(null));
                if (queue.isEmpty() && barriers.isEmpty() && !pauseRequested && state == State.OPEN) {
                    sleeping = true;
                    if (queue.isEmpty() && barriers.isEmpty() && !pauseRequested && state == State.OPEN) {
                        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(FLUSH_INTERVAL_MS));
                    }
                    sleeping = false;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            LOG.error("{} log writer failed; records are no longer written", prefix, e);
        } finally {
            state = State.STOPPED;
            for (CompletableFuture<Void> b; (b = barriers.poll()) != null; ) {
                b.complete(null);
            }
            counters.dropped.addAndGet(queue.size());
            queue.clear();
            stopped.complete(null);
        }
    }

    private void drainAll(List<T> batch) {
        while (queue.drainTo(batch, BATCH) > 0) {
            for (T item : batch) {
                write(item);
            }
            batch.clear();
        }
    }

    private void write(T item) {
        line.setLength(0);
        try {
            encoder.encode(item, line);
        } catch (RuntimeException e) {
            counters.writeErrors.incrementAndGet();
            LOG.warn("{} log: cannot encode a record, skipped: {}", prefix, e.toString());
            return;
        }
        line.append('\n');
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        long now = clockMillis.getAsLong();
        try {
            if (segment == null) {
                openSegment(now);
            }
            segment.out.write(bytes);
            segment.bytes += bytes.length;
            segment.dirty = true;
            counters.written.incrementAndGet();
        } catch (IOException e) {
            lost(e);
            return;
        }
        if (segment.bytes >= config.segmentBytes()) {
            closeSegment(now);
            applyRetention(now);
        }
    }

    private void lost(IOException e) {
        long n = counters.writeErrors.incrementAndGet();
        if (n == 1 || n % 1000 == 0) {
            LOG.warn("{} log: cannot write to {} ({} records lost so far): {}", prefix, dir, n, e.toString());
        }
        abandonSegment();
    }

    private void maintain(long now, boolean forceFlush) {
        if (segment != null && now - segment.startMillis >= config.segmentAge().toMillis()) {
            closeSegment(now);
            applyRetention(now);
        }
        if (segment != null && segment.dirty && (forceFlush || now - lastFlushMillis >= FLUSH_INTERVAL_MS)) {
            try {
                segment.out.flush();
                segment.dirty = false;
            } catch (IOException e) {
                lost(e);
            }
            lastFlushMillis = now;
        }
        if (forceFlush || now - lastRetentionMillis >= RETENTION_CHECK_MS) {
            applyRetention(now);
        }
    }

    private void openSegment(long now) throws IOException {
        segment = files.open(now);
        lastFlushMillis = now;
    }

    /** Closes the open segment; the next record opens a new one. */
    private void closeSegment(long now) {
        SegmentFiles.Segment s = segment;
        if (s == null) {
            return;
        }
        segment = null;
        if (files.close(s, now, counters.writeErrors.get())) {
            counters.segmentsClosed.incrementAndGet();
        }
    }

    private void abandonSegment() {
        if (segment != null) {
            SegmentFiles.abandon(segment);
            segment = null; // the next record opens a new segment; the start after a restart closes this one
        }
    }

    private void applyRetention(long now) {
        lastRetentionMillis = now;
        files.applyRetention(now);
    }

    /** The closed segments of {@code dir} with this prefix, in time order (oldest first). */
    public static List<Path> closedSegments(Path dir, String prefix) throws IOException {
        return SegmentFiles.segments(dir, SegmentFiles.closedPattern(prefix, false));
    }

    /** As {@link #closedSegments}, with the open one (if any) last: a reader must stop at its last complete line. */
    public static List<Path> allSegments(Path dir, String prefix) throws IOException {
        return SegmentFiles.segments(dir, SegmentFiles.closedPattern(prefix, true));
    }
}
