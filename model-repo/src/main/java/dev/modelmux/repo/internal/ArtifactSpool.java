package dev.modelmux.repo.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Copies a model file into a private temporary file while hashing it, then maps that copy read-only
 * and deletes its name: the content lives outside the Java heap (page cache, freed with the mapping),
 * and because no other process can write the copy, the mapped bytes stay the hashed bytes (a repository
 * file rewritten in place while mapped would change under the runtime or fault its reads).
 */
final class ArtifactSpool {
    private static final int CHUNK = 1 << 16;

    private ArtifactSpool() {}

    /** What was read: the mapped content and the SHA-256 of exactly those bytes. */
    record Spooled(ByteBuffer content, byte[] sha256) {}

    /** The stream ended at a length other than the one announced. */
    static final class LengthChanged extends Exception {
        private static final long serialVersionUID = 1L;

        LengthChanged() {
            super(null, null, false, false);
        }
    }

    /**
     * Writes exactly {@code size} bytes of {@code in} to {@code out}, hashing them into {@code sha}: a
     * longer or shorter stream is a file being written (or an object being replaced).
     */
    static void copy(InputStream in, long size, FileChannel out, MessageDigest sha) throws IOException, LengthChanged {
        byte[] chunk = new byte[CHUNK];
        long copied = 0;
        while (copied < size) {
            int n = in.read(chunk, 0, (int) Math.min(CHUNK, size - copied));
            if (n < 0) {
                throw new LengthChanged();
            }
            sha.update(chunk, 0, n);
            ByteBuffer b = ByteBuffer.wrap(chunk, 0, n);
            while (b.hasRemaining()) {
                out.write(b);
            }
            copied += n;
        }
        if (in.read() >= 0) {
            throw new LengthChanged();
        }
    }

    /**
     * Reads exactly {@code size} bytes from {@code in} (not more: a longer or shorter stream is a file
     * being written) and maps them.
     */
    static Spooled spool(InputStream in, long size, MessageDigest sha) throws IOException, LengthChanged {
        Path tmp = Files.createTempFile("modelmux-artifact-", ".onnx");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                copy(in, size, out, sha);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.READ)) {
                MappedByteBuffer mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
                return new Spooled(mapped, sha.digest());
            }
        } finally {
            // The mapping keeps the pages; the name goes now, so nothing is left behind on disk.
            Files.deleteIfExists(tmp);
        }
    }
}
