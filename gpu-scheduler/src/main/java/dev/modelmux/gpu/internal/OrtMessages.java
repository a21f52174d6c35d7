package dev.modelmux.gpu.internal;

import java.util.regex.Pattern;

/**
 * Turns runtime and I/O error messages into text safe to show a caller: no source locations, no
 * C++ signatures, no file paths or URIs, one line, bounded length. What remains (tensor names,
 * shapes, types, ONNX Runtime's explanation) is what a user can act on.
 */
public final class OrtMessages {
    static final int MAX_LENGTH = 400;

    /** ONNX Runtime Java's prefix: "Error code - ORT_INVALID_ARGUMENT - message: ". */
    private static final Pattern ORT_PREFIX = Pattern.compile("Error code - ORT_\\w+ - message:\\s*");
    /** A native source location such as "/onnxruntime_src/onnxruntime/core/session/x.cc:510". */
    private static final Pattern SOURCE_LOCATION = Pattern.compile("\\S*\\.(?:cc|cpp|cxx|c|h|hpp|cu)(?::\\d+)+");
    /** URIs and VFS names: file:/..., zip:file:///...!/..., http://..., ram:///... */
    private static final Pattern URI =
            Pattern.compile("\\b[a-zA-Z][a-zA-Z0-9+.\\-]*:(?:[a-zA-Z][a-zA-Z0-9+.\\-]*:)*/\\S*");
    /**
     * File paths: absolute ("/x", "~/x", "C:\\x"), explicitly relative ("./x", "../x"), or with at
     * least two separators ("a/b/c"). One separator alone ("inputs/outputs") is ordinary prose.
     */
    private static final Pattern PATH = Pattern.compile("(?<![\\w.])(?:~|[A-Za-z]:)?[/\\\\][^\\s'\",;()\\[\\]]+"
            + "|(?<![\\w.])\\.{1,2}[/\\\\]\\S+"
            + "|(?<![\\w.])[\\w.\\-]+(?:[/\\\\][\\w.\\-]+){2,}");

    private static final Pattern SPACES = Pattern.compile("\\s+");

    private OrtMessages() {}

    /** The sanitised message of {@code t} (its class name if it has none). */
    public static String of(Throwable t) {
        String m = t.getMessage();
        return sanitize(m == null || m.isBlank() ? t.getClass().getSimpleName() : m);
    }

    public static String sanitize(String message) {
        if (message == null) {
            return "";
        }
        String m = ORT_PREFIX.matcher(message).replaceAll("");
        m = stripNativeLocations(m);
        m = URI.matcher(m).replaceAll("<path>");
        m = PATH.matcher(m).replaceAll("<path>");
        m = SPACES.matcher(m).replaceAll(" ").trim();
        if (m.length() > MAX_LENGTH) {
            m = m.substring(0, MAX_LENGTH - 3) + "...";
        }
        return m;
    }

    /**
     * ONNX Runtime prefixes errors with {@code file.cc:LINE signature(args) [const]} before the
     * explanation; drop the location and, when it follows, the balanced signature.
     */
    private static String stripNativeLocations(String m) {
        StringBuilder out = new StringBuilder();
        var matcher = SOURCE_LOCATION.matcher(m);
        int from = 0;
        while (matcher.find(from)) {
            out.append(m, from, matcher.start());
            int i = matcher.end();
            int signatureEnd = signatureEnd(m, i);
            from = signatureEnd >= 0 ? signatureEnd : i;
        }
        out.append(m.substring(from));
        return out.toString();
    }

    /** End of a C++ signature starting at {@code i} (name up to a balanced parameter list), or -1. */
    private static int signatureEnd(String m, int i) {
        int open = m.indexOf('(', i);
        if (open < 0) {
            return -1;
        }
        // A signature has no sentence punctuation before its parameter list.
        String head = m.substring(i, open);
        if (head.contains(". ") || head.contains(": ") || head.length() > 300 || !head.contains("::")) {
            return -1;
        }
        int depth = 0;
        for (int j = open; j < m.length(); j++) {
            char c = m.charAt(j);
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                int end = j + 1;
                if (m.startsWith(" const", end)) {
                    end += " const".length();
                }
                return end;
            }
        }
        return -1;
    }
}
