package dev.modelmux.node.predlog;

import dev.modelmux.node.errors.ServingException;

/**
 * Bounds on what callers put in the logs. A request id is at most {@value #MAX_ID_BYTES} bytes of
 * UTF-8 (on Decide, on ModelInfer through an endpoint, and on label posts); the log's encoder cuts
 * any other string at {@value #MAX_STRING_CHARS} characters as a last guard.
 */
public final class LogLimits {
    public static final int MAX_ID_BYTES = 256;
    public static final int MAX_STRING_CHARS = 4096;

    private LogLimits() {}

    /** The UTF-8 length of {@code s}, counting at most up to {@code limit + 4} (no allocation). */
    public static int utf8Bytes(String s, int limit) {
        int n = 0;
        for (int i = 0; i < s.length() && n <= limit; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n++;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c)
                    && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    /**
     * Refuses an id longer than {@value #MAX_ID_BYTES} bytes of UTF-8 with INVALID_ARGUMENT naming
     * {@code field}.
     */
    public static void checkId(String field, String id) {
        if (id.length() > MAX_ID_BYTES || utf8Bytes(id, MAX_ID_BYTES) > MAX_ID_BYTES) {
            throw ServingException.invalid(field + ": at most " + MAX_ID_BYTES + " bytes (UTF-8), was "
                    + utf8Bytes(id, Integer.MAX_VALUE - 8) + " bytes");
        }
    }
}
