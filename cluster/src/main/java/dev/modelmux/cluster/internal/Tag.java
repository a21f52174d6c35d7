package dev.modelmux.cluster.internal;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An authentication tag: the first {@link #BYTES} bytes of an HMAC-SHA256 under the mesh's tag
 * key. Compared in constant time; equal when the bytes are.
 */
record Tag(byte[] bytes) {

    static final int BYTES = 16;

    Tag {
        Objects.requireNonNull(bytes, "bytes");
        bytes = bytes.clone();
    }

    boolean matches(Tag other) {
        return other != null && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tag t && Arrays.equals(bytes, t.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "Tag[" + HexFormat.of().formatHex(bytes, 0, Math.min(4, bytes.length)) + "…]";
    }
}
