package dev.modelmux.node.metrics;

import dev.modelmux.repo.ModelNames;
import java.util.Arrays;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which models get full latency histograms in {@code /metrics} ({@code metrics-model-histograms}):
 * none (the default: every model gets a few fixed buckets), a list of models, or the {@code n} models
 * with the most traffic, re-evaluated periodically.
 *
 * @param models the listed models (empty unless {@code kind} is {@link Kind#LIST})
 * @param top how many of the busiest models (0 unless {@code kind} is {@link Kind#TOP})
 */
public record ModelHistograms(Kind kind, Set<String> models, int top) {
    /** The maximum of {@code top:N}: each such model adds about a hundred series. */
    public static final int MAX_TOP = 1000;

    public enum Kind {
        NONE,
        LIST,
        TOP
    }

    public ModelHistograms {
        models = Set.copyOf(models);
        if (kind == Kind.TOP && (top < 1 || top > MAX_TOP)) {
            throw new IllegalArgumentException(
                    "metrics-model-histograms: top:N needs N between 1 and " + MAX_TOP + ", was " + top);
        }
        if (kind == Kind.LIST && models.isEmpty()) {
            throw new IllegalArgumentException("metrics-model-histograms: the list names no model");
        }
    }

    public static ModelHistograms none() {
        return new ModelHistograms(Kind.NONE, Set.of(), 0);
    }

    /**
     * Parses the setting: {@code none}, {@code top:N}, or model names separated by commas.
     *
     * @throws IllegalArgumentException naming the key and what is wrong
     */
    public static ModelHistograms parse(String text) {
        String s = text.trim();
        if (s.isEmpty() || s.toLowerCase(Locale.ROOT).equals("none")) {
            return none();
        }
        if (s.toLowerCase(Locale.ROOT).startsWith("top:")) {
            String n = s.substring(4).trim();
            try {
                return new ModelHistograms(Kind.TOP, Set.of(), Integer.parseInt(n));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("metrics-model-histograms: top:N needs a number N, was '" + n + "'");
            }
        }
        Set<String> names = new TreeSet<>();
        for (String name : Arrays.stream(s.split(",")).map(String::trim).toList()) {
            if (!ModelNames.isValid(name)) {
                throw new IllegalArgumentException("metrics-model-histograms: '" + name
                        + "' is not a model name (expected none, top:N or model names separated by commas)");
            }
            names.add(name);
        }
        return new ModelHistograms(Kind.LIST, names, 0);
    }
}
