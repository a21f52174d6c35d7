package dev.modelmux.node.predlog.internal;

import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.predlog.PredictionLogConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-only, segmented JSON-lines log with one writer thread draining a bounded queue.
 *
 * <p><b>Appending</b> is an {@code offer}: it never blocks, and a full queue (by records or by
 * estimated bytes) or a closed log drops the item and counts it. {@link #appendDurable} also
 * returns a future that completes, on the writer thread, once the item is fsynced. <b>Files</b>:
 * {@code <prefix>-<startMillis:13>-<seq:6>.jsonl}, the one being written suffixed {@code .open}. A
 * segment is closed (written, fsynced, stamped with the log clock's close time as its modification
 * time, renamed without {@code .open}) once it reaches the size or the age limit, and on {@link
 * #close}. A start renames segments a crash left {@code .open}, cutting a torn last line.
 * <b>Retention</b>: closed segments whose modification time is older than the retention are
 * deleted (checked at start, after each rotation and every minute).
 *
 * <p><b>Durability</b> ({@link LogDurability}): the writer hands the open segment to the OS every
 * second ({@code none}) or hands it over and fsyncs it every {@code fsyncInterval} ({@code
 * interval}, {@code always}); whenever items appended with {@link #appendDurable} are waiting, it
 * writes and fsyncs at once, one fsync for every item it drained meanwhile (group commit).
 *
 * <p><b>Write failures</b> (a full disk): a write that fails is cut back to the segment's last
 * complete line, its records counted as write errors (never as written: {@code written} counts
 * records the OS accepted), the segment closed (or deleted when empty), and the log backs off
 * (250 ms doubling to 5 s) during which the writer counts records as lost and fails durable appends
 * at once ({@link ServingException.Code#INSUFFICIENT_STORAGE}); the first record after the back-off
 * opens a fresh segment and tries again, so writing resumes by itself once space returns and no
 * file multiplies meanwhile.
 *
 * <p><b>Threading.</b> The writer alone touches files (through {@link SegmentFiles}). {@link
 * #close} and {@link #start} block; {@link #append}, {@link #appendDurable} and {@link #flush} do
 * not.
 */
public final class SegmentedLog<T> implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentedLog.class);
    static final long FLUSH_INTERVAL_MS = 1000;
    static final long RETENTION_CHECK_MS = 60_000;
    static final long FIRST_RETRY_MS = 250;
    static final long MAX_RETRY_MS = 5000;
    private static final int BATCH = 1024;
    private static final int WRITE_CHUNK = 64 * 1024;

    /** Writes one item as one JSON object (no newline). */
    public interface Encoder<T> {
        void encode(T item, StringBuilder out);

        /** About how many bytes {@link #encode} writes (what the queue's byte bound charges); cheap. */
        default int estimate(T item) {
            return 256;
        }
    }

    private enum State {
        OPEN,
        CLOSING,
        STOPPED
    }

    /** A queued item (identity equality: the queue's remove must take this one). */
    private static final class Entry<T> {
        final T item;
        final int bytes;
        final CompletableFuture<Void> durable;

        Entry(T item, int bytes, CompletableFuture<Void> durable) {
            this.item = item;
            this.bytes = bytes;
            this.durable = durable;
        }
    }

    /** A durable append waiting for the fsync that covers {@code end} bytes of the open segment. */
    private record Waiter(long end, CompletableFuture<Void> done) {}

    private final Path dir;
    private final String prefix;
    private final SegmentFiles files;
    private final PredictionLogConfig config;
    private final Encoder<T> encoder;
    private final LongSupplier clockMillis;
    private final ArrayBlockingQueue<Entry<T>> queue;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> barriers = new ConcurrentLinkedQueue<>();
    private final LogCounters counters = new LogCounters();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile State state = State.OPEN;
    private volatile Thread writer;
    private volatile boolean sleeping;
    private volatile boolean pauseRequested;
    private volatile CountDownLatch pausedAck = new CountDownLatch(1);
    private volatile CountDownLatch resumed = new CountDownLatch(0);
    /** Why writing fails now (null while it does not): what a refused durable append says. */
    private volatile String failing;

    // Writer-thread state.
    private final StringBuilder line = new StringBuilder(512);
    private final ArrayDeque<Waiter> waiting = new ArrayDeque<>();
    private SegmentFiles.Segment segment;
    private long lastFlushMillis;
    private long lastSyncMillis;
    private long lastRetentionMillis;
    private long retryAtMillis;
    private long retryDelayMillis;

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
            counters.register(registry, metricPrefix, queue, queuedBytes, () -> failing != null);
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
        lastSyncMillis = now;
        lastRetentionMillis = now;
        applyRetention(now);
        Thread t = new Thread(this::run, "modelmux-" + prefix + "-writer");
        t.setDaemon(true);
        writer = t;
        t.start();
    }

    public LogDurability durability() {
        return config.durability();
    }

    /** Queues {@code item}; false (and counted) when the buffer is full or the log closed. Never blocks. */
    public boolean append(T item) {
        return offer(item, null) == null;
    }

    /**
     * Queues {@code item}; the future completes (on the writer thread) once it is fsynced, or fails
     * with a {@link ServingException}: RESOURCE_EXHAUSTED when the buffer is full, UNAVAILABLE when
     * the log is closed, INSUFFICIENT_STORAGE when it cannot be written (a full disk). Never blocks.
     */
    public CompletableFuture<Void> appendDurable(T item) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ServingException refused = offer(item, done);
        if (refused != null) {
            done.completeExceptionally(refused);
        }
        return done;
    }

    /** @return null when queued, else why not (counted as dropped) */
    private ServingException offer(T item, CompletableFuture<Void> durable) {
        if (state != State.OPEN) {
            counters.dropped.incrementAndGet();
            return closed();
        }
        int bytes = Math.max(1, encoder.estimate(item));
        if (queuedBytes.addAndGet(bytes) > config.bufferBytes()) {
            queuedBytes.addAndGet(-bytes);
            counters.dropped.incrementAndGet();
            return full();
        }
        Entry<T> e = new Entry<>(item, bytes, durable);
        if (!queue.offer(e)) {
            queuedBytes.addAndGet(-bytes);
            counters.dropped.incrementAndGet();
            return full();
        }
        if (state == State.STOPPED && queue.remove(e)) {
            // The writer stopped between the check and the offer, and never saw it.
            queuedBytes.addAndGet(-bytes);
            counters.dropped.incrementAndGet();
            return closed();
        }
        if (sleeping || durable != null) {
            wake();
        }
        return null;
    }

    private ServingException full() {
        return new ServingException(
                ServingException.Code.RESOURCE_EXHAUSTED,
                "the " + prefix + " log's buffer is full (" + queue.size() + " records, " + queuedBytes.get()
                        + " bytes waiting for the disk); retry later",
                1000);
    }

    private ServingException closed() {
        return ServingException.unavailable(
                "the " + prefix + " log is closed (the node is stopping); retry on another node");
    }

    private ServingException storage(String why) {
        return new ServingException(
                ServingException.Code.INSUFFICIENT_STORAGE,
                "the " + prefix + " log cannot write to its data directory (" + why
                        + "), so this answer cannot be recorded durably; the node retries on its own",
                MAX_RETRY_MS);
    }

    /**
     * Completes once everything appended before the call is written and handed to the OS, and
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

    /** fsyncs of open segments so far (not counting the one that closes a segment). */
    public long fsyncs() {
        return counters.fsyncs.get();
    }

    /** Estimated bytes waiting in the queue. */
    public long queuedBytes() {
        return queuedBytes.get();
    }

    /** Whether writing fails now (a full disk), until a retry succeeds. */
    public boolean failing() {
        return failing != null;
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
            dropQueued();
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

    private void dropQueued() {
        for (Entry<T> e; (e = queue.poll()) != null; ) {
            queuedBytes.addAndGet(-e.bytes);
            counters.dropped.incrementAndGet();
            if (e.durable != null) {
                e.durable.completeExceptionally(closed());
            }
        }
    }

    private void run() {
        List<Entry<T>> batch = new ArrayList<>(BATCH);
        long park = config.durability() == LogDurability.NONE
                ? FLUSH_INTERVAL_MS
                : Math.min(FLUSH_INTERVAL_MS, config.fsyncInterval().toMillis());
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
                        LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(park));
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
            for (Waiter w; (w = waiting.poll()) != null; ) {
                w.done().completeExceptionally(closed());
            }
            dropQueued();
            stopped.complete(null);
        }
    }

    private void drainAll(List<Entry<T>> batch) {
        while (queue.drainTo(batch, BATCH) > 0) {
            for (Entry<T> e : batch) {
                queuedBytes.addAndGet(-e.bytes);
                write(e);
            }
            batch.clear();
        }
    }

    private void write(Entry<T> e) {
        line.setLength(0);
        try {
            encoder.encode(e.item, line);
        } catch (RuntimeException ex) {
            counters.writeErrors.incrementAndGet();
            LOG.warn("{} log: cannot encode a record, skipped: {}", prefix, ex.toString());
            if (e.durable != null) {
                e.durable.completeExceptionally(ServingException.of(ex));
            }
            return;
        }
        line.append('\n');
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        long now = clockMillis.getAsLong();
        if (failing != null && now < retryAtMillis) {
            lose(e);
            return;
        }
        if (segment == null) {
            try {
                segment = files.open(now);
            } catch (IOException ex) {
                lose(e);
                failed(ex, now);
                return;
            }
            lastFlushMillis = now;
        }
        segment.add(bytes);
        if (e.durable != null) {
            waiting.add(new Waiter(segment.bytes(), e.durable));
        }
        if (segment.pendingBytes() >= WRITE_CHUNK) {
            writeOut(now);
        }
        if (segment != null && segment.bytes() >= config.segmentBytes()) {
            closeSegment(now);
            applyRetention(now);
        }
    }

    /** Counts a record lost to a failing disk. */
    private void lose(Entry<T> e) {
        counters.writeErrors.incrementAndGet();
        if (e.durable != null) {
            e.durable.completeExceptionally(storage(failing == null ? "write failed" : failing));
        }
    }

    /**
     * Hands the open segment's buffer to the OS; counts its records written, or, on failure, lost
     * (and closes the segment and backs off).
     *
     * @return false when it failed
     */
    private boolean writeOut(long now) {
        SegmentFiles.Segment s = segment;
        if (s == null || s.pendingRecords == 0) {
            return true;
        }
        int records = s.pendingRecords;
        try {
            s.write();
        } catch (IOException ex) {
            counters.writeErrors.addAndGet(records);
            failed(ex, now);
            // Durable appends beyond what the file holds now are lost; the close fsyncs the rest.
            String why = failing;
            while (!waiting.isEmpty() && waiting.peekLast().end() > s.flushedBytes) {
                waiting.pollLast().done().completeExceptionally(storage(why));
            }
            closeSegment(now);
            return false;
        }
        counters.written.addAndGet(records);
        lastFlushMillis = now;
        if (failing != null) {
            LOG.info("{} log: writing to {} again", prefix, dir);
            failing = null;
            retryDelayMillis = 0;
        }
        return true;
    }

    /** Writes the buffer out and fsyncs; then completes the durable appends it covers. */
    private void sync(long now) {
        if (segment == null || !writeOut(now)) {
            return;
        }
        SegmentFiles.Segment s = segment;
        try {
            if (s.force()) {
                counters.fsyncs.incrementAndGet();
            }
        } catch (IOException ex) {
            failed(ex, now);
            closeSegment(now); // fails the waiting appends unless its own fsync succeeds
            return;
        }
        lastSyncMillis = now;
        completeWaiting();
    }

    private void completeWaiting() {
        for (Waiter w; (w = waiting.poll()) != null; ) {
            w.done().complete(null);
        }
    }

    private void failed(IOException ex, long now) {
        String why = reason(ex);
        retryDelayMillis = retryDelayMillis == 0 ? FIRST_RETRY_MS : Math.min(MAX_RETRY_MS, retryDelayMillis * 2);
        retryAtMillis = now + retryDelayMillis;
        if (failing == null) {
            LOG.warn(
                    "{} log: cannot write to {} ({}); records are counted as lost until a retry succeeds",
                    prefix,
                    dir,
                    ex.toString());
        }
        failing = why;
    }

    /** An I/O error's message without a path (it goes to clients). */
    private static String reason(IOException ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank() || m.contains("/") || m.contains("\\")) {
            return ex.getClass().getSimpleName();
        }
        return m;
    }

    private void maintain(long now, boolean forceFlush) {
        if (segment != null && now - segment.startMillis >= config.segmentAge().toMillis()) {
            closeSegment(now);
            applyRetention(now);
        }
        if (segment != null) {
            if (!waiting.isEmpty()) {
                sync(now);
            } else if (config.durability() != LogDurability.NONE
                    && now - lastSyncMillis >= config.fsyncInterval().toMillis()) {
                sync(now);
                lastSyncMillis = now;
            } else if (forceFlush || now - lastFlushMillis >= FLUSH_INTERVAL_MS) {
                writeOut(now);
                lastFlushMillis = now;
            }
        }
        if (forceFlush || now - lastRetentionMillis >= RETENTION_CHECK_MS) {
            applyRetention(now);
        }
    }

    /** Writes out and closes the open segment (fsync, rename); the next record opens a new one. */
    private void closeSegment(long now) {
        SegmentFiles.Segment s = segment;
        if (s == null) {
            return;
        }
        if (s.pendingRecords > 0 && !writeOut(now)) {
            return; // writeOut closed it
        }
        segment = null;
        boolean synced = files.close(s, now);
        if (s.flushedBytes > 0) {
            counters.segmentsClosed.incrementAndGet();
        }
        if (synced) {
            completeWaiting();
        } else {
            String why = failing == null ? "fsync failed" : failing;
            for (Waiter w; (w = waiting.poll()) != null; ) {
                w.done().completeExceptionally(storage(why));
            }
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
