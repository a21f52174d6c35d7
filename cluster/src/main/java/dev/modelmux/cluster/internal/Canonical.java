package dev.modelmux.cluster.internal;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The bytes a tag is computed over: a domain (the map or operation it belongs to), then the key,
 * then every field of the content, each length-prefixed or fixed-size, so two different entries
 * never encode to the same bytes and an entry cannot be moved to another key or map.
 */
final class Canonical {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(128);

    private Canonical() {}

    static Canonical of(String domain) {
        return new Canonical().str(domain);
    }

    Canonical str(String s) {
        if (s == null) {
            return i32(-1);
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i32(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    Canonical i32(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    Canonical i64(long v) {
        return i32((int) (v >>> 32)).i32((int) v);
    }

    Canonical f64(double v) {
        return i64(Double.doubleToLongBits(v));
    }

    Canonical bool(boolean v) {
        out.write(v ? 1 : 0);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
