package dev.modelmux.node.predlog.internal;

import dev.modelmux.node.predlog.PredictionLogConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
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
 * <p><b>Threading.</b> The writer alone touches files. {@link #close} and {@link #start} block;
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
    private final Pattern closedName;
    private final PredictionLogConfig config;
    private final Encoder<T> encoder;
    private final LongSupplier clockMillis;
    private final ArrayBlockingQueue<T> queue;
    private final ConcurrentLinkedQueue<CompletableFuture<Void>> barriers = new ConcurrentLinkedQueue<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private final AtomicLong segmentsClosed = new AtomicLong();
    private final CompletableFuture<Void> stopped = new CompletableFuture<>();
    private volatile State state = State.OPEN;
    private volatile Thread writer;
    private volatile boolean sleeping;
    private volatile boolean pauseRequested;
    private volatile CountDownLatch pausedAck = new CountDownLatch(1);
    private volatile CountDownLatch resumed = new CountDownLatch(0);

    // Writer-thread state.
    private final StringBuilder line = new StringBuilder(512);
    private Segment segment;
    private long seq;
    private long lastFlushMillis;
    private long lastRetentionMillis;

    private static final class Segment {
        final Path openPath;
        final Path closedPath;
        final long startMillis;
        final FileOutputStream file;
        final OutputStream out;
        long bytes;
        boolean dirty;

        Segment(Path openPath, Path closedPath, long startMillis) throws IOException {
            this.openPath = openPath;
            this.closedPath = closedPath;
            this.startMillis = startMillis;
            this.file = new FileOutputStream(openPath.toFile(), true);
            this.out = new BufferedOutputStream(file, 64 * 1024);
        }
    }

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
        this.closedName = Pattern.compile(Pattern.quote(prefix) + "-([0-9]{13,})-([0-9]{6,})\\.jsonl");
        this.config = config;
        this.encoder = encoder;
        this.clockMillis = clockMillis;
        this.queue = new ArrayBlockingQueue<>(config.bufferRecords());
        if (registry != null) {
            FunctionCounter.builder(metricPrefix + "_dropped", dropped, AtomicLong::get)
                    .description("Records dropped: the buffer was full (or the log closed)")
                    .register(registry);
            FunctionCounter.builder(metricPrefix + "_written", written, AtomicLong::get)
                    .description("Records written to a segment")
                    .register(registry);
            FunctionCounter.builder(metricPrefix + "_write_errors", writeErrors, AtomicLong::get)
                    .description("Records lost to a write error (disk full, I/O error)")
                    .register(registry);
            FunctionCounter.builder(metricPrefix + "_segments_closed", segmentsClosed, AtomicLong::get)
                    .description("Segments closed (rotated by size or age, or at shutdown)")
                    .register(registry);
            Gauge.builder(metricPrefix + "_queue_depth", queue, ArrayBlockingQueue::size)
                    .description("Records waiting for the writer")
                    .register(registry);
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
            Files.createDirectories(dir);
            recover();
            seq = nextSeq();
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
            dropped.incrementAndGet();
            return false;
        }
        if (!queue.offer(item)) {
            dropped.incrementAndGet();
            return false;
        }
        if (state == State.STOPPED && queue.remove(item)) {
            // The writer stopped between the check and the offer, and never saw it.
            dropped.incrementAndGet();
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
        return dropped.get();
    }

    public long written() {
        return written.get();
    }

    public long writeErrors() {
        return writeErrors.get();
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
            dropped.addAndGet(queue.size());
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
            dropped.addAndGet(queue.size());
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
            writeErrors.incrementAndGet();
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
            written.incrementAndGet();
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
        long n = writeErrors.incrementAndGet();
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
        while (true) {
            String base = String.format("%s-%013d-%06d.jsonl", prefix, Math.max(0, now), seq++);
            Path closed = dir.resolve(base);
            Path open = dir.resolve(base + ".open");
            if (!Files.exists(closed) && !Files.exists(open)) {
                segment = new Segment(open, closed, now);
                lastFlushMillis = now;
                return;
            }
        }
    }

    /** Flushes, fsyncs and renames the open segment; the next record opens a new one. */
    private void closeSegment(long now) {
        Segment s = segment;
        if (s == null) {
            return;
        }
        segment = null;
        try {
            s.out.flush();
            s.file.getChannel().force(true);
            s.out.close();
            Files.setLastModifiedTime(s.openPath, FileTime.fromMillis(now));
            Files.move(s.openPath, s.closedPath, StandardCopyOption.ATOMIC_MOVE);
            syncDir();
            segmentsClosed.incrementAndGet();
        } catch (IOException e) {
            long n = writeErrors.get();
            LOG.warn(
                    "{} log: cannot close segment {} ({} records lost so far): {}",
                    prefix,
                    s.openPath,
                    n,
                    e.toString());
            closeQuietly(s);
        }
    }

    private void abandonSegment() {
        if (segment != null) {
            closeQuietly(segment);
            segment = null; // the next record opens a new segment; the start after a restart closes this one
        }
    }

    private static void closeQuietly(Segment s) {
        try {
            s.out.close();
        } catch (IOException ignored) {
            // already failing; the error is counted
        }
    }

    private void syncDir() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can fsync a directory
        }
    }

    /** Deletes closed segments last modified before {@code now - retention}. */
    private void applyRetention(long now) {
        lastRetentionMillis = now;
        long keepMillis = config.retention().toMillis();
        if (keepMillis <= 0) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (closedName.matcher(p.getFileName().toString()).matches()
                        && Files.getLastModifiedTime(p).toMillis() < now - keepMillis) {
                    Files.deleteIfExists(p);
                    LOG.info(
                            "{} log: deleted {} (older than the retention of {})",
                            prefix,
                            p.getFileName(),
                            config.retention());
                }
            }
        } catch (IOException e) {
            LOG.warn("{} log: retention check of {} failed: {}", prefix, dir, e.toString());
        }
    }

    /** Closes segments a previous run left open, cutting a torn last line (a crash mid-write). */
    private void recover() throws IOException {
        List<Path> open = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.filter(p -> {
                        String n = p.getFileName().toString();
                        return n.endsWith(".open")
                                && closedName
                                        .matcher(n.substring(0, n.length() - 5))
                                        .matches();
                    })
                    .forEach(open::add);
        }
        for (Path p : open) {
            FileTime modified = Files.getLastModifiedTime(p);
            try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                long len = f.length();
                long keep = len;
                while (keep > 0) {
                    f.seek(keep - 1);
                    if (f.read() == '\n') {
                        break;
                    }
                    keep--;
                }
                if (keep < len) {
                    f.setLength(keep);
                    LOG.warn("{} log: cut a torn last line ({} bytes) from {}", prefix, len - keep, p.getFileName());
                }
            }
            if (Files.size(p) == 0) {
                Files.delete(p);
                continue;
            }
            Files.setLastModifiedTime(p, modified);
            String n = p.getFileName().toString();
            Files.move(p, p.resolveSibling(n.substring(0, n.length() - 5)), StandardCopyOption.ATOMIC_MOVE);
            LOG.info("{} log: closed {} left open by an earlier run", prefix, n);
        }
    }

    private long nextSeq() throws IOException {
        long max = -1;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Matcher m = closedName.matcher(p.getFileName().toString());
                if (m.matches()) {
                    max = Math.max(max, Long.parseLong(m.group(2)));
                }
            }
        }
        return max + 1;
    }

    /** The closed segments of {@code dir} with this prefix, in time order (oldest first). */
    public static List<Path> closedSegments(Path dir, String prefix) throws IOException {
        Pattern p = Pattern.compile(Pattern.quote(prefix) + "-([0-9]{13,})-([0-9]{6,})\\.jsonl");
        return segments(dir, p);
    }

    /** As {@link #closedSegments}, with the open one (if any) last: a reader must stop at its last complete line. */
    public static List<Path> allSegments(Path dir, String prefix) throws IOException {
        Pattern p = Pattern.compile(Pattern.quote(prefix) + "-([0-9]{13,})-([0-9]{6,})\\.jsonl(\\.open)?");
        return segments(dir, p);
    }

    private static List<Path> segments(Path dir, Pattern p) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> p.matcher(f.getFileName().toString()).matches())
                    .sorted()
                    .toList();
        }
    }
}
