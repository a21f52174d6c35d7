package dev.modelmux.repo;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * One version's model file as read from the repository: its content and their SHA-256 (lower-case
 * hex), computed over exactly these bytes so the recorded hash is the one that was loaded.
 *
 * <p>A repository hands out content outside the Java heap: a read-only mapping of a private copy
 * that nobody else writes (so neither the hash nor the mapped pages can change under a reader).
 * Small artifacts built in memory (tests, generated models) wrap an array instead.
 *
 * @param content the file's bytes, from position to limit; read-only; never modified by a reader
 */
public record Artifact(String model, long version, ByteBuffer content, String sha256) {
    public Artifact {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(sha256, "sha256");
        content = content.asReadOnlyBuffer();
    }

    /** An artifact held in an array (generated models, tests). */
    public Artifact(String model, long version, byte[] bytes, String sha256) {
        this(model, version, ByteBuffer.wrap(Objects.requireNonNull(bytes, "bytes")), sha256);
    }

    public long size() {
        return content.remaining();
    }

    /** The content as a fresh buffer view (own position and limit), safe to hand to one reader. */
    @Override
    public ByteBuffer content() {
        return content.duplicate();
    }

    /** A copy of the content on the Java heap: for small artifacts only (descriptions, tests). */
    public byte[] bytes() {
        byte[] out = new byte[content.remaining()];
        content.duplicate().get(out);
        return out;
    }
}
