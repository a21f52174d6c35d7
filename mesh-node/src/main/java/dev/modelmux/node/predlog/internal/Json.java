package dev.modelmux.node.predlog.internal;

import dev.modelmux.node.predlog.LogLimits;
import java.lang.reflect.Array;
import java.util.Collection;
import java.util.Map;

/**
 * A small JSON writer for log lines: strings, numbers, booleans, maps, collections and arrays
 * (primitive ones included); a non-finite number is written as {@code null} (JSON has no NaN),
 * any other object as its string. Output is always one line.
 */
final class Json {
    private Json() {}

    static void value(StringBuilder out, Object v) {
        if (v == null) {
            out.append("null");
        } else if (v instanceof String s) {
            string(out, s);
        } else if (v instanceof Double d) {
            number(out, d);
        } else if (v instanceof Float f) {
            if (Float.isFinite(f) && f != Math.rint(f)) {
                out.append(f.floatValue()); // the float's shortest form: 0.1f is 0.1, not 0.10000000149011612
            } else {
                number(out, f.doubleValue());
            }
        } else if (v instanceof Number || v instanceof Boolean) {
            out.append(v);
        } else if (v instanceof Map<?, ?> m) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                string(out, String.valueOf(e.getKey()));
                out.append(':');
                value(out, e.getValue());
            }
            out.append('}');
        } else if (v instanceof Collection<?> c) {
            out.append('[');
            boolean first = true;
            for (Object o : c) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                value(out, o);
            }
            out.append(']');
        } else if (v.getClass().isArray()) {
            out.append('[');
            int n = Array.getLength(v);
            for (int i = 0; i < n; i++) {
                if (i > 0) {
                    out.append(',');
                }
                value(out, Array.get(v, i));
            }
            out.append(']');
        } else if (v instanceof Character c) {
            string(out, c.toString());
        } else {
            string(out, v.toString());
        }
    }

    static void number(StringBuilder out, double d) {
        if (Double.isFinite(d)) {
            if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                out.append((long) d);
            } else {
                out.append(d);
            }
        } else {
            out.append("null");
        }
    }

    /**
     * About how many bytes {@link #value} writes for {@code v}: characters of strings (escapes and
     * multi-byte characters not counted), 8 per number; cheap, no allocation.
     */
    static int estimate(Object v) {
        if (v == null) {
            return 4;
        } else if (v instanceof String s) {
            return Math.min(s.length(), LogLimits.MAX_STRING_CHARS) + 2;
        } else if (v instanceof Number || v instanceof Boolean || v instanceof Character) {
            return 8;
        } else if (v instanceof Map<?, ?> m) {
            int n = 2;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                n += 2 + estimate(String.valueOf(e.getKey())) + estimate(e.getValue());
            }
            return n;
        } else if (v instanceof Collection<?> c) {
            int n = 2;
            for (Object o : c) {
                n += 1 + estimate(o);
            }
            return n;
        } else if (v.getClass().isArray()) {
            if (v instanceof Object[] a) {
                int n = 2;
                for (Object o : a) {
                    n += 1 + estimate(o);
                }
                return n;
            }
            return 2 + 9 * Array.getLength(v);
        }
        return 16;
    }

    /** A JSON string; one longer than {@link LogLimits#MAX_STRING_CHARS} is cut there and ends in {@code ...}. */
    static void string(StringBuilder out, String s) {
        out.append('"');
        int end = s.length();
        boolean cut = false;
        if (end > LogLimits.MAX_STRING_CHARS) {
            end = LogLimits.MAX_STRING_CHARS;
            if (Character.isHighSurrogate(s.charAt(end - 1))) {
                end--;
            }
            cut = true;
        }
        for (int i = 0; i < end; i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (cut) {
            out.append("...");
        }
        out.append('"');
    }

    /** Appends {@code "key":} (after a comma unless first). */
    static void key(StringBuilder out, String key, boolean first) {
        if (!first) {
            out.append(',');
        }
        string(out, key);
        out.append(':');
    }
}
