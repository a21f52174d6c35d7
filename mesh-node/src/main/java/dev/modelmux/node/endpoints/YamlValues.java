package dev.modelmux.node.endpoints;

import dev.modelmux.admission.config.StrictYaml;
import dev.modelmux.repo.ModelNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Typed reads of the plain values SnakeYAML builds (maps, lists, strings, numbers), each failing
 * with an {@link IllegalArgumentException} that names the field ({@code where}) and says what it
 * should have been.
 */
final class YamlValues {
    private YamlValues() {}

    static Object required(Map<?, ?> m, String key) {
        return required(m, key, "");
    }

    static Object required(Map<?, ?> m, String key, String where) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException((where.isEmpty() ? "" : where + ".") + key + " is required");
        }
        return v;
    }

    static void keys(Map<?, ?> m, Set<String> allowed, String what) {
        for (Object k : m.keySet()) {
            if (!(k instanceof String s) || !allowed.contains(s)) {
                throw new IllegalArgumentException((what.isEmpty() ? "" : what + ": ") + "unknown key '"
                        + ModelNames.printable(String.valueOf(k)) + "'; known keys: " + sorted(allowed));
            }
        }
    }

    static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }

    static Map<?, ?> map(Object v, String where) {
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + " must be a map, was " + type(v));
        }
        return m;
    }

    static List<?> listOf(Object v, String where) {
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException(where + " must be a list, was " + type(v));
        }
        return l;
    }

    /** A map of scalar values, as strings (config parameters and contexts are strings). */
    static Map<String, String> scalars(Object v, String where) {
        Map<?, ?> m = map(v, where);
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            Object val = e.getValue();
            if (!(val instanceof String || val instanceof Number || val instanceof Boolean)) {
                throw new IllegalArgumentException(where + "." + ModelNames.printable(String.valueOf(e.getKey()))
                        + " must be a string, was " + type(val));
            }
            out.put(String.valueOf(e.getKey()), String.valueOf(val));
        }
        return out;
    }

    static String string(Object v, String where) {
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException(where + " must be a non-empty string, was " + describe(v));
        }
        if (s.length() > 1024) {
            throw new IllegalArgumentException(where + " is longer than 1024 characters");
        }
        return s;
    }

    static double number(Object v, String where) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(where + " must be a number, was " + describe(v));
    }

    static double finite(Object v, String where) {
        double d = number(v, where);
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(where + " must be a finite number, was " + d);
        }
        return d;
    }

    static long integer(Object v, String where) {
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new IllegalArgumentException(where + " must be an integer, was " + describe(v));
    }

    static long range(long v, long min, long max, String where) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(where + " must be in [" + min + ", " + max + "], was " + v);
        }
        return v;
    }

    static double range(double v, double min, double max, String where) {
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(where + " must be in [" + min + ", " + max + "], was " + v);
        }
        return v;
    }

    static String describe(Object v) {
        return StrictYaml.describe(v);
    }

    static String type(Object v) {
        return StrictYaml.type(v);
    }
}
