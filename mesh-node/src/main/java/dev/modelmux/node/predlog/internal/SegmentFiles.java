package dev.modelmux.node.predlog.internal;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of one {@link SegmentedLog} in its directory: {@code <prefix>-<startMillis:13>-<seq:6>.jsonl},
 * the one being written suffixed {@code .open}. Opens segments, closes them (flush, fsync, stamp,
 * rename), deletes those past the retention and recovers what a crash left open. Not thread-safe:
 * the log's writer alone uses it (and {@link #prepare} before the writer starts).
 */
final class SegmentFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentFiles.class);

    private final Path dir;
    private final String prefix;
    private final Pattern closedName;
    private final Duration retention;
    private long seq;

    /**
     * A segment being written: records are buffered here and handed to the OS by {@link #write}; the
     * file holds exactly {@link #flushedBytes} (a failed write is cut back to it).
     */
    static final class Segment {
        final Path openPath;
        final Path closedPath;
        final long startMillis;
        final FileChannel channel;
        private byte[] buf = new byte[8192];
        private int pending;
        /** Records in the buffer, not yet handed to the OS. */
        int pendingRecords;
        /** Bytes in the file (handed to the OS). */
        long flushedBytes;
        /** Bytes known to be on disk (fsynced). */
        long syncedBytes;

        private Segment(Path openPath, Path closedPath, long startMillis) throws IOException {
            this.openPath = openPath;
            this.closedPath = closedPath;
            this.startMillis = startMillis;
            this.channel = FileChannel.open(openPath, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        }

        /** Bytes of the segment, buffered ones included. */
        long bytes() {
            return flushedBytes + pending;
        }

        int pendingBytes() {
            return pending;
        }

        /** Buffers one record's line. */
        void add(byte[] line) {
            if (pending + line.length > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pending + line.length));
            }
            System.arraycopy(line, 0, buf, pending, line.length);
            pending += line.length;
            pendingRecords++;
        }

        /**
         * Hands the buffer to the OS. On failure the file is cut back to what it held before (so no
         * torn line stays) and the buffer is discarded: its records are lost.
         */
        void write() throws IOException {
            if (pending == 0) {
                return;
            }
            ByteBuffer b = ByteBuffer.wrap(buf, 0, pending);
            try {
                while (b.hasRemaining()) {
                    channel.write(b, flushedBytes + b.position());
                }
            } catch (IOException e) {
                try {
                    channel.truncate(flushedBytes);
                } catch (IOException ignored) {
                    // the next start cuts a torn last line
                }
                discard();
                throw e;
            }
            flushedBytes += pending;
            discard();
            if (buf.length > 1 << 20) {
                buf = new byte[8192]; // a burst grew it: give the memory back
            }
        }

        private void discard() {
            pending = 0;
            pendingRecords = 0;
        }

        /** fsyncs what was handed to the OS; false when there was nothing new. */
        boolean force() throws IOException {
            if (syncedBytes < flushedBytes) {
                long upTo = flushedBytes;
                channel.force(false);
                syncedBytes = upTo;
                return true;
            }
            return false;
        }
    }

    SegmentFiles(Path dir, String prefix, Duration retention) {
        this.dir = dir;
        this.prefix = prefix;
        this.closedName = closedPattern(prefix, false);
        this.retention = retention;
    }

    /** Creates the directory, closes segments a previous run left open, and numbers on from the last. */
    void prepare() throws IOException {
        Files.createDirectories(dir);
        recover();
        seq = nextSeq();
    }

    /** A new segment started at {@code now}, under the first name free. */
    Segment open(long now) throws IOException {
        while (true) {
            String base = String.format("%s-%013d-%06d.jsonl", prefix, Math.max(0, now), seq++);
            Path closed = dir.resolve(base);
            Path open = dir.resolve(base + ".open");
            if (!Files.exists(closed) && !Files.exists(open)) {
                return new Segment(open, closed, now);
            }
        }
    }

    /**
     * Closes a segment whose buffer was written (or discarded): fsyncs it, stamps it with {@code
     * now} and renames it without {@code .open}; an empty one is deleted instead. A failing fsync is
     * logged and the segment still closed (it holds whole lines only).
     *
     * @return whether everything the segment holds is known to be on disk
     */
    boolean close(Segment s, long now) {
        boolean synced = true;
        try {
            s.force();
        } catch (IOException e) {
            synced = false;
            LOG.warn("{} log: cannot fsync segment {}: {}", prefix, s.openPath.getFileName(), e.toString());
        }
        try {
            s.channel.close();
        } catch (IOException ignored) {
            // nothing buffered in the channel itself
        }
        try {
            if (s.flushedBytes == 0) {
                Files.deleteIfExists(s.openPath);
                return synced;
            }
            Files.setLastModifiedTime(s.openPath, FileTime.fromMillis(now));
            Files.move(s.openPath, s.closedPath, StandardCopyOption.ATOMIC_MOVE);
            syncDir();
        } catch (IOException e) {
            LOG.warn(
                    "{} log: cannot close segment {} (the next start will): {}",
                    prefix,
                    s.openPath.getFileName(),
                    e.toString());
        }
        return synced;
    }

    /** Deletes closed segments last modified before {@code now - retention}. */
    void applyRetention(long now) {
        long keepMillis = retention.toMillis();
        if (keepMillis <= 0) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (closedName.matcher(p.getFileName().toString()).matches()
                        && Files.getLastModifiedTime(p).toMillis() < now - keepMillis) {
                    Files.deleteIfExists(p);
                    LOG.info("{} log: deleted {} (older than the retention of {})", prefix, p.getFileName(), retention);
                }
            }
        } catch (IOException e) {
            LOG.warn("{} log: retention check of {} failed: {}", prefix, dir, e.toString());
        }
    }

    private void syncDir() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can fsync a directory
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

    /** Segment names of {@code prefix}: closed ones, or also the open one. */
    static Pattern closedPattern(String prefix, boolean withOpen) {
        return Pattern.compile(
                Pattern.quote(prefix) + "-([0-9]{13,})-([0-9]{6,})\\.jsonl" + (withOpen ? "(\\.open)?" : ""));
    }

    /** The segments of {@code dir} whose names match, in name (so time) order. */
    static List<Path> segments(Path dir, Pattern p) throws IOException {
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
