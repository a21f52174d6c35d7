package dev.modelmux.repo.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloaded artifacts kept on local disk, bounded in bytes, least recently used evicted first, so
 * that unloading a model and loading it again does not download it again.
 *
 * <p>An entry is named by a hash of what identifies one object version ({@code bucket, key, ETag}):
 * an object replaced in the bucket has a new ETag and so a new entry; the old one ages out. Each
 * entry is the file {@code <id>.onnx} and its SHA-256 in {@code <id>.sha256}, written after the file
 * is complete and renamed into place (never written in place, so a mapping handed out earlier keeps
 * the bytes it was hashed over, even when the entry is evicted or replaced). Every reuse hashes the
 * file again and drops it if it no longer matches (a disk error, someone editing the cache).
 *
 * <p>What survives a restart is kept (ordered by the files' modification times, which a hit
 * touches); half-written files are deleted at start. Safe for concurrent use; all methods block.
 */
final class ArtifactCache {
    private static final Logger LOG = LoggerFactory.getLogger(ArtifactCache.class);
    private static final String DATA = ".onnx";
    private static final String HASH = ".sha256";
    private static final String TEMP = ".tmp";

    /** One entry: its content size and SHA-256 (hex). */
    private record Entry(long size, String sha256) {}

    /** What a lookup or a download gives: the mapped content and its SHA-256 (hex). */
    record Content(ByteBuffer bytes, String sha256) {}

    private final Path dir;
    private final long maxBytes;
    /** Guarded by this; access order: the eldest is the least recently used. */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    /** Guarded by this. */
    private long usedBytes;

    ArtifactCache(Path dir, long maxBytes) throws IOException {
        this.dir = dir;
        this.maxBytes = maxBytes;
        Files.createDirectories(dir);
        load();
    }

    long maxBytes() {
        return maxBytes;
    }

    synchronized long usedBytes() {
        return usedBytes;
    }

    synchronized int size() {
        return entries.size();
    }

    /** The id of one object version: a hash, so nothing from the bucket becomes a local file name. */
    static String id(String bucket, String key, String etag) {
        MessageDigest d = Fingerprints.sha256();
        d.update((bucket + "\n" + key + "\n" + etag).getBytes(StandardCharsets.UTF_8));
        return Fingerprints.hex(d.digest());
    }

    /** The cached content of {@code id}, verified against its recorded SHA-256; empty on a miss. */
    Optional<Content> get(String id, long expectedSize) {
        Entry e;
        synchronized (this) {
            e = entries.get(id);
        }
        if (e == null) {
            return Optional.empty();
        }
        Path data = dir.resolve(id + DATA);
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size != e.size() || size != expectedSize) {
                throw new IOException("size " + size + ", expected " + expectedSize);
            }
            MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            MessageDigest sha = Fingerprints.sha256();
            sha.update(mapped.duplicate());
            String hex = Fingerprints.hex(sha.digest());
            if (!hex.equals(e.sha256())) {
                throw new IOException("content no longer matches its SHA-256");
            }
            touch(data);
            return Optional.of(new Content(mapped, hex));
        } catch (IOException ex) {
            LOG.warn("artifact cache: entry {} dropped ({}); it will be downloaded again", id, ex.getMessage());
            remove(id);
            return Optional.empty();
        }
    }

    /**
     * Streams exactly {@code size} bytes from {@code in} into the cache as {@code id}, hashing them, evicts
     * the least recently used entries beyond the limit and maps the new one. An artifact larger than the
     * whole cache is not kept: it goes to a private temporary copy (as a local repository's would).
     */
    Content put(String id, InputStream in, long size) throws IOException, ArtifactSpool.LengthChanged {
        if (size > maxBytes) {
            ArtifactSpool.Spooled s = ArtifactSpool.spool(in, size, Fingerprints.sha256());
            return new Content(s.content(), Fingerprints.hex(s.sha256()));
        }
        Path tmp = dir.resolve(id + "." + UUID.randomUUID() + TEMP);
        Path tmpHash = dir.resolve(id + "." + UUID.randomUUID() + HASH + TEMP);
        try {
            MessageDigest sha = Fingerprints.sha256();
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ArtifactSpool.copy(in, size, out, sha);
                out.force(false);
            }
            String hex = Fingerprints.hex(sha.digest());
            Files.writeString(tmpHash, hex, StandardCharsets.US_ASCII);
            Path data = dir.resolve(id + DATA);
            move(tmp, data);
            move(tmpHash, dir.resolve(id + HASH));
            MappedByteBuffer mapped;
            try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            }
            added(id, new Entry(size, hex));
            return new Content(mapped, hex);
        } finally {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(tmpHash);
        }
    }

    private synchronized void added(String id, Entry e) {
        Entry old = entries.put(id, e);
        if (old != null) {
            usedBytes -= old.size();
        }
        usedBytes += e.size();
        List<String> evicted = new ArrayList<>();
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (usedBytes > maxBytes && it.hasNext()) {
            Map.Entry<String, Entry> eldest = it.next();
            if (eldest.getKey().equals(id)) {
                continue;
            }
            it.remove();
            usedBytes -= eldest.getValue().size();
            evicted.add(eldest.getKey());
        }
        for (String gone : evicted) {
            deleteFiles(gone); // a mapping handed out earlier keeps its pages
        }
        if (!evicted.isEmpty()) {
            LOG.debug("artifact cache: {} entries evicted, {} of {} bytes used", evicted.size(), usedBytes, maxBytes);
        }
    }

    private synchronized void remove(String id) {
        Entry e = entries.remove(id);
        if (e != null) {
            usedBytes -= e.size();
        }
        deleteFiles(id);
    }

    private void deleteFiles(String id) {
        try {
            Files.deleteIfExists(dir.resolve(id + HASH));
            Files.deleteIfExists(dir.resolve(id + DATA));
        } catch (IOException e) {
            LOG.warn("artifact cache: could not delete entry {}: {}", id, e.toString());
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void touch(Path data) {
        try {
            Files.setLastModifiedTime(data, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException e) {
            // Only the order after a restart depends on it.
        }
    }

    /** Reads what a previous run left: complete entries in modification order; the rest is deleted. */
    private synchronized void load() throws IOException {
        record Found(String id, long size, long modified, String sha256) {}
        List<Found> found = new ArrayList<>();
        List<Path> stray = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.endsWith(DATA) && name.length() == 64 + DATA.length()) {
                    String id = name.substring(0, 64);
                    try {
                        String hex = Files.readString(dir.resolve(id + HASH), StandardCharsets.US_ASCII)
                                .strip();
                        found.add(new Found(
                                id, Files.size(p), Files.getLastModifiedTime(p).toMillis(), hex));
                    } catch (NoSuchFileException e) {
                        stray.add(p); // the hash was never written: an unfinished entry
                    }
                } else if (name.endsWith(TEMP)) {
                    stray.add(p);
                } else if (name.endsWith(HASH) && !Files.exists(dir.resolve(name.replace(HASH, DATA)))) {
                    stray.add(p);
                }
            }
        }
        for (Path p : stray) {
            Files.deleteIfExists(p);
        }
        found.sort((a, b) -> Long.compare(a.modified(), b.modified()));
        for (Found f : found) {
            entries.put(f.id(), new Entry(f.size(), f.sha256()));
            usedBytes += f.size();
        }
        if (!found.isEmpty()) {
            added(
                    found.get(found.size() - 1).id(),
                    entries.get(found.get(found.size() - 1).id()));
            LOG.info("artifact cache {}: {} artifacts kept from before, {} bytes", dir, entries.size(), usedBytes);
        }
    }
}
