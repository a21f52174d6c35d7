package dev.modelmux.admission.tenant;

/** Glob matching for model names: {@code *} matches any run of characters, {@code ?} one. */
final class Glob {
    private Glob() {}

    /** Checks a pattern's syntax; returns an error message or {@code null} when it is valid. */
    static String problem(String pattern) {
        if (pattern == null || pattern.isEmpty()) {
            return "must not be empty";
        }
        if (pattern.indexOf('/') >= 0 || pattern.indexOf('\\') >= 0) {
            return "must not contain a path separator, was '" + pattern + "'";
        }
        return null;
    }

    /** Iterative matcher with single-star backtracking: linear in practice, no regex compile. */
    static boolean matches(String pattern, String text) {
        int p = 0;
        int t = 0;
        int star = -1;
        int mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == text.charAt(t))) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
