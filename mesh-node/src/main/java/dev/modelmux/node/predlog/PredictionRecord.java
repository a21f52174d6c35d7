package dev.modelmux.node.predlog;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One logged prediction, written as one JSON object per line with the components' names in
 * snake case ({@code request_id}, {@code policy_version}, {@code latency_micros}, {@code at_millis},
 * ...). The log encodes it later, on its writer thread: pass maps and outputs that nobody changes
 * after {@link PredictionLog#append}.
 *
 * @param kind          {@code decide}, {@code infer} or {@code shadow}
 * @param requestId     the caller's request id: what labels join on
 * @param tenant        the admitted tenant
 * @param endpoint      the endpoint name called (the model name for a plain inference)
 * @param model         the model that answered
 * @param version       its version
 * @param policyVersion the endpoint policy's version in force (0 without one)
 * @param features      feature name to value (or to a reference), as the model saw them
 * @param output        the output: numbers, strings, lists, maps or primitive arrays
 * @param score         the score, when there is one
 * @param decision      the decision, when there is one
 * @param latencyMicros receipt to answer
 * @param ladderStep    the degradation-ladder step that answered ({@code primary}, ...)
 * @param fallbackUsed  whether a step other than the primary model answered
 * @param atMillis      epoch millis of the answer
 */
public record PredictionRecord(
        String kind,
        String requestId,
        String tenant,
        String endpoint,
        String model,
        long version,
        long policyVersion,
        Map<String, Object> features,
        Object output,
        Double score,
        String decision,
        long latencyMicros,
        String ladderStep,
        boolean fallbackUsed,
        long atMillis) {

    public static final Set<String> KINDS = Set.of("decide", "infer", "shadow");

    public PredictionRecord {
        Objects.requireNonNull(kind, "kind");
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("kind must be decide, infer or shadow, was '" + kind + "'");
        }
    }
}
