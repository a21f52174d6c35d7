package dev.modelmux.repo;

import java.util.regex.Pattern;

/**
 * Model name rules, checked before any repository access: 1-128 characters of letters, digits,
 * {@code _ . -}, not starting with a dot. Names therefore never contain a separator, a scheme or
 * a {@code ..} segment, and can be joined to the repository root safely (the resolved file is
 * still re-checked to lie under the root).
 */
public final class ModelNames {
    public static final int MAX_LENGTH = 128;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,127}");

    private ModelNames() {}

    public static boolean isValid(String name) {
        return name != null && VALID.matcher(name).matches();
    }

    /**
     * Returns {@code name} if valid.
     *
     * @throws InvalidModelNameException with a message that says which rule failed, never echoing
     *     more than a short, sanitised prefix of the input
     */
    public static String validate(String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidModelNameException("model name is empty");
        }
        if (name.length() > MAX_LENGTH) {
            throw new InvalidModelNameException("model name is longer than " + MAX_LENGTH + " characters");
        }
        if (name.charAt(0) == '.') {
            throw new InvalidModelNameException("model name '" + printable(name) + "' must not start with a dot");
        }
        if (!VALID.matcher(name).matches()) {
            throw new InvalidModelNameException(
                    "model name '" + printable(name) + "' may contain only letters, digits, '_', '.' and '-'");
        }
        return name;
    }

    /** A short, printable rendering of untrusted input, for error messages. */
    public static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 64; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 64 ? b + "..." : b.toString();
    }

    /** Thrown for a model name that breaks the rules. */
    public static final class InvalidModelNameException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public InvalidModelNameException(String message) {
            super(message);
        }
    }
}
