package dev.modelmux.node.endpoints;

import dev.modelmux.node.predlog.LogDurability;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One endpoint: a stable name callers use, routed to model versions under a traffic policy, with
 * the features, decision thresholds, degradation ladder, circuit breaker and log sampling of the
 * decision API. Built and validated by {@link EndpointsLoader} (which names the field at fault);
 * immutable. Optional sections are null when absent.
 *
 * @param metadata config parameters every target's {@code config.pbtxt} must hold with equal values
 * @param schema the declared I/O signature; null until the promotion gate resolves it from the
 *     first target
 * @param features null: the endpoint serves ModelInfer only, not decisions
 * @param decision null: no decisions (as {@code features})
 * @param ladder null: a failed model step fails the decision with its status
 * @param logSampleRate share of requests written to the prediction log, in [0, 1]
 * @param logDurability {@code log.durability}: null follows the node's {@code log-durability};
 *     {@code always} answers a request only once its record is fsynced
 */
public record EndpointSpec(
        String name,
        Map<String, String> metadata,
        Schema schema,
        Policy policy,
        Features features,
        Decision decision,
        Ladder ladder,
        Breaker breaker,
        double logSampleRate,
        LogDurability logDurability) {

    public EndpointSpec {
        Objects.requireNonNull(name, "name");
        metadata = Map.copyOf(metadata);
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(breaker, "circuit_breaker");
    }

    /** The traffic policies. */
    public enum PolicyType {
        SINGLE,
        CHAMPION_CHALLENGER,
        CANARY,
        BLUE_GREEN,
        SEGMENT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A model version. */
    public record TargetRef(String model, long version) {
        @Override
        public String toString() {
            return model + ":" + version;
        }
    }

    /**
     * A target of the policy.
     *
     * @param name {@code blue}/{@code green} for blue-green, else empty
     * @param weight percent of traffic (canary, champion/challenger), else 0
     */
    public record Target(String name, TargetRef ref, int weight) {}

    /** Segment routing: requests whose context has every {@code when} entry go to {@code target}. */
    public record SegmentRule(Map<String, String> when, TargetRef target) {
        public SegmentRule {
            when = Map.copyOf(when);
        }
    }

    /** A copy of (a sample of) the traffic, sent asynchronously to a candidate. */
    public record Shadow(TargetRef target, double sample, int maxInFlight) {}

    /**
     * @param active blue-green: the name of the target taking traffic, else empty
     * @param rules segment rules, first match wins (segment only)
     * @param defaultTarget where unmatched segment traffic goes (segment only)
     * @param shadow null without one
     */
    public record Policy(
            PolicyType type,
            List<Target> targets,
            String active,
            List<SegmentRule> rules,
            TargetRef defaultTarget,
            Shadow shadow) {
        public Policy {
            targets = List.copyOf(targets);
            rules = List.copyOf(rules);
        }

        /** Every version that can take primary traffic under this policy, in declaration order. */
        public List<TargetRef> routable() {
            Set<TargetRef> out = new LinkedHashSet<>();
            targets.forEach(t -> out.add(t.ref()));
            rules.forEach(r -> out.add(r.target()));
            if (defaultTarget != null) {
                out.add(defaultTarget);
            }
            return new ArrayList<>(out);
        }

        /** The target blue-green traffic goes to; null for other policies. */
        public Target activeTarget() {
            return targets.stream()
                    .filter(t -> t.name().equals(active))
                    .findFirst()
                    .orElse(null);
        }

        public Policy withActive(String a) {
            return new Policy(type, targets, a, rules, defaultTarget, shadow);
        }
    }

    /** A declared tensor: Triton's names and data types ({@code TYPE_FP32}), dims without the batch dim, -1 for any. */
    public record Tensor(String name, String dataType, List<Long> dims) {
        public Tensor {
            dims = List.copyOf(dims);
        }
    }

    /** The endpoint's I/O signature. */
    public record Schema(List<Tensor> inputs, List<Tensor> outputs) {
        public Schema {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    /**
     * @param refs feature names, in the order of the model's FP32 input vector
     * @param defaults a default for every ref
     * @param cacheStalenessMs 0: no cache
     */
    public record Features(List<String> refs, Map<String, Double> defaults, long timeoutMs, long cacheStalenessMs) {
        public Features {
            refs = List.copyOf(refs);
            defaults = Map.copyOf(defaults);
        }
    }

    /** Scores at or above {@code min} get {@code decision}. */
    public record Threshold(double min, String decision) {}

    /**
     * @param output the output tensor the score is read from; null: the schema's first output
     * @param index the score's element in that tensor
     * @param thresholds sorted by {@code min}, highest first
     * @param explanationsRefPrefix null: responses carry no explanations reference
     */
    public record Decision(
            String output,
            int index,
            List<Threshold> thresholds,
            String defaultDecision,
            String explanationsRefPrefix) {
        public Decision {
            thresholds = thresholds.stream()
                    .sorted((a, b) -> Double.compare(b.min(), a.min()))
                    .toList();
        }

        /** The decision a score gets. */
        public String decide(double score) {
            for (Threshold t : thresholds) {
                if (score >= t.min()) {
                    return t.decision();
                }
            }
            return defaultDecision;
        }

        /**
         * How far the score sits from the nearest threshold, as a confidence in [0, 1]: 0 on a
         * threshold, 1 at half the score range (0.5) or more away; 1 without thresholds.
         */
        public double confidence(double score) {
            double nearest = Double.POSITIVE_INFINITY;
            for (Threshold t : thresholds) {
                nearest = Math.min(nearest, Math.abs(score - t.min()));
            }
            return Double.isInfinite(nearest) ? 1.0 : Math.max(0, Math.min(1, nearest / 0.5));
        }
    }

    /** A rule of the ladder: a feature strictly above and/or below a bound gives a decision and score. */
    public record Rule(String feature, Double above, Double below, String decision, double score) {
        public boolean matches(double value) {
            return (above == null || value > above) && (below == null || value < below);
        }
    }

    /** A decision with its score. */
    public record Outcome(String decision, double score) {}

    /**
     * The degradation ladder below the primary: a fallback model, rules over the features, a safe
     * default.
     *
     * @param fallback null without a fallback model
     * @param deadlineMarginMs a model step is skipped when less than this plus its recent p50 remains
     */
    public record Ladder(TargetRef fallback, List<Rule> rules, Outcome safeDefault, long deadlineMarginMs) {
        public Ladder {
            rules = List.copyOf(rules);
            Objects.requireNonNull(safeDefault, "safe_default");
        }
    }

    /** The circuit breaker of each model version the endpoint calls (Resilience4j, count-based window). */
    public record Breaker(int failureRatePercent, int minimumCalls, int window, long openMs) {
        public static final Breaker DEFAULTS = new Breaker(50, 10, 20, 5000);
    }

    public EndpointSpec withSchema(Schema s) {
        return new EndpointSpec(
                name, metadata, s, policy, features, decision, ladder, breaker, logSampleRate, logDurability);
    }

    public EndpointSpec withPolicy(Policy p) {
        return new EndpointSpec(
                name, metadata, schema, p, features, decision, ladder, breaker, logSampleRate, logDurability);
    }

    /** Every model version the endpoint may call: routable targets, the shadow, the fallback. */
    public List<TargetRef> allTargets() {
        Set<TargetRef> out = new LinkedHashSet<>(policy.routable());
        if (policy.shadow() != null) {
            out.add(policy.shadow().target());
        }
        if (ladder != null && ladder.fallback() != null) {
            out.add(ladder.fallback());
        }
        return new ArrayList<>(out);
    }

    /** The first target of the policy: the one whose signature becomes the schema when none is declared. */
    public TargetRef firstTarget() {
        return policy.type() == PolicyType.SEGMENT
                ? policy.defaultTarget()
                : policy.targets().get(0).ref();
    }

    /** The output the decision's score is read from. */
    public String scoreOutput() {
        if (decision != null && decision.output() != null) {
            return decision.output();
        }
        return schema == null || schema.outputs().isEmpty()
                ? null
                : schema.outputs().get(0).name();
    }

    /** Whether the endpoint answers decisions (it has features and a decision section). */
    public boolean decides() {
        return features != null && decision != null;
    }
}
