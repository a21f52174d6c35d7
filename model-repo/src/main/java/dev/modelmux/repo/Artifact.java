package dev.modelmux.repo;

import java.util.Objects;

/**
 * One version's model file as read from the repository: its bytes and their SHA-256 (lower-case
 * hex), computed over exactly these bytes so the recorded hash is the one that was loaded.
 */
public record Artifact(String model, long version, byte[] bytes, String sha256) {
    public Artifact {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(bytes, "bytes");
        Objects.requireNonNull(sha256, "sha256");
    }

    public long size() {
        return bytes.length;
    }
}
