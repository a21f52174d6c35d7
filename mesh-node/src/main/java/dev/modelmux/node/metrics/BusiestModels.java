package dev.modelmux.node.metrics;

import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code top} models with the most traffic ({@code metrics-model-histograms top:N}): each evaluation
 * scores a model by its requests since the previous one plus {@link #DECAY} of its past score, so a burst
 * does not displace steady traffic at once; ties go to the first name. Not thread-safe: one evaluator.
 */
final class BusiestModels {
    static final double DECAY = 0.5;

    private final int top;
    private Map<String, Double> scores = new HashMap<>();
    private Map<String, Long> lastTotals = new HashMap<>();

    BusiestModels(int top) {
        this.top = top;
    }

    /** @param totals requests per model since its figures were created (a smaller total: they were recreated) */
    Set<String> evaluate(Map<String, Long> totals) {
        Map<String, Double> next = new HashMap<>();
        totals.forEach((model, total) -> {
            long last = lastTotals.getOrDefault(model, 0L);
            long delta = total >= last ? total - last : total;
            double score = scores.getOrDefault(model, 0.0) * DECAY + delta;
            if (score > 0) {
                next.put(model, score);
            }
        });
        scores = next;
        lastTotals = totals;
        return next.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder())
                        .thenComparing(Map.Entry.comparingByKey()))
                .limit(top)
                .map(Map.Entry::getKey)
                .collect(Collectors.toUnmodifiableSet());
    }
}
