package dev.modelmux.node.endpoints;

import static dev.modelmux.node.endpoints.YamlValues.finite;
import static dev.modelmux.node.endpoints.YamlValues.integer;
import static dev.modelmux.node.endpoints.YamlValues.keys;
import static dev.modelmux.node.endpoints.YamlValues.listOf;
import static dev.modelmux.node.endpoints.YamlValues.map;
import static dev.modelmux.node.endpoints.YamlValues.range;
import static dev.modelmux.node.endpoints.YamlValues.required;
import static dev.modelmux.node.endpoints.YamlValues.string;

import dev.modelmux.node.endpoints.EndpointSpec.Breaker;
import dev.modelmux.node.endpoints.EndpointSpec.Decision;
import dev.modelmux.node.endpoints.EndpointSpec.Features;
import dev.modelmux.node.endpoints.EndpointSpec.Ladder;
import dev.modelmux.node.endpoints.EndpointSpec.Outcome;
import dev.modelmux.node.endpoints.EndpointSpec.Rule;
import dev.modelmux.node.endpoints.EndpointSpec.Schema;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.node.endpoints.EndpointSpec.Tensor;
import dev.modelmux.node.endpoints.EndpointSpec.Threshold;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.config.DataType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The sections of an endpoint besides its policy: schema, features, decision, ladder and circuit breaker. */
final class EndpointSections {
    private EndpointSections() {}

    static Schema schema(Object node) {
        Map<?, ?> m = map(node, "schema");
        keys(m, Set.of("inputs", "outputs"), "schema");
        List<Tensor> inputs = tensors(required(m, "inputs", "schema"), "schema.inputs");
        List<Tensor> outputs = tensors(required(m, "outputs", "schema"), "schema.outputs");
        if (inputs.isEmpty() || outputs.isEmpty()) {
            throw new IllegalArgumentException("schema: inputs and outputs must each list at least one tensor");
        }
        return new Schema(inputs, outputs);
    }

    private static List<Tensor> tensors(Object node, String where) {
        List<?> list = listOf(node, where);
        List<Tensor> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            String at = where + "[" + i + "]";
            Map<?, ?> t = map(list.get(i), at);
            keys(t, Set.of("name", "data_type", "dims"), at);
            String name = string(required(t, "name", at), at + ".name");
            if (!names.add(name)) {
                throw new IllegalArgumentException(at + ".name '" + name + "' is used twice");
            }
            String type =
                    string(required(t, "data_type", at), at + ".data_type").toUpperCase(Locale.ROOT);
            if (!type.startsWith("TYPE_")) {
                type = "TYPE_" + type;
            }
            try {
                DataType dt = DataType.valueOf(type);
                if (dt == DataType.TYPE_INVALID) {
                    throw new IllegalArgumentException();
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ".data_type must be a Triton data type such as TYPE_FP32, was '"
                        + ModelNames.printable(type) + "'");
            }
            List<?> d = listOf(required(t, "dims", at), at + ".dims");
            List<Long> dims = new ArrayList<>();
            for (int j = 0; j < d.size(); j++) {
                long v = integer(d.get(j), at + ".dims[" + j + "]");
                if (v < -1 || v == 0) {
                    throw new IllegalArgumentException(at + ".dims[" + j + "] must be -1 (any) or >= 1, was " + v);
                }
                dims.add(v);
            }
            out.add(new Tensor(name, type, dims));
        }
        return out;
    }

    static Features features(Object node) {
        Map<?, ?> m = map(node, "features");
        keys(m, Set.of("refs", "defaults", "timeout_ms", "cache_staleness_ms"), "features");
        List<?> list = listOf(required(m, "refs", "features"), "features.refs");
        if (list.isEmpty()) {
            throw new IllegalArgumentException("features.refs must list at least one feature");
        }
        List<String> refs = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String ref = string(list.get(i), "features.refs[" + i + "]");
            if (!EndpointsLoader.FEATURE_NAME.matcher(ref).matches()) {
                throw new IllegalArgumentException(
                        "features.refs[" + i + "] must be 1-128 of letters, digits, '_', '.', ':', '-'");
            }
            if (refs.contains(ref)) {
                throw new IllegalArgumentException("features.refs[" + i + "]: '" + ref + "' is listed twice");
            }
            refs.add(ref);
        }
        Map<?, ?> d = map(required(m, "defaults", "features"), "features.defaults");
        Map<String, Double> defaults = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : d.entrySet()) {
            String k = String.valueOf(e.getKey());
            if (!refs.contains(k)) {
                throw new IllegalArgumentException(
                        "features.defaults." + ModelNames.printable(k) + ": not a feature of features.refs");
            }
            defaults.put(k, finite(e.getValue(), "features.defaults." + k));
        }
        for (String ref : refs) {
            if (!defaults.containsKey(ref)) {
                throw new IllegalArgumentException(
                        "features.defaults." + ref + " is missing: every feature needs a default");
            }
        }
        long timeout = m.containsKey("timeout_ms")
                ? range(integer(m.get("timeout_ms"), "features.timeout_ms"), 1, 60_000, "features.timeout_ms")
                : 20;
        long staleness = m.containsKey("cache_staleness_ms")
                ? range(
                        integer(m.get("cache_staleness_ms"), "features.cache_staleness_ms"),
                        0,
                        86_400_000,
                        "features.cache_staleness_ms")
                : 0;
        return new Features(refs, defaults, timeout, staleness);
    }

    static Decision decision(Object node) {
        Map<?, ?> m = map(node, "decision");
        keys(m, Set.of("output", "index", "thresholds", "default", "explanations_ref_prefix"), "decision");
        String output = m.containsKey("output") ? string(m.get("output"), "decision.output") : null;
        int index = m.containsKey("index")
                ? (int) range(integer(m.get("index"), "decision.index"), 0, 1 << 20, "decision.index")
                : 0;
        List<Threshold> thresholds = new ArrayList<>();
        if (m.containsKey("thresholds")) {
            List<?> list = listOf(m.get("thresholds"), "decision.thresholds");
            for (int i = 0; i < list.size(); i++) {
                String at = "decision.thresholds[" + i + "]";
                Map<?, ?> t = map(list.get(i), at);
                keys(t, Set.of("min", "decision"), at);
                thresholds.add(new Threshold(
                        finite(required(t, "min", at), at + ".min"),
                        string(required(t, "decision", at), at + ".decision")));
            }
        }
        String dflt = string(required(m, "default", "decision"), "decision.default");
        String prefix = m.containsKey("explanations_ref_prefix")
                ? string(m.get("explanations_ref_prefix"), "decision.explanations_ref_prefix")
                : null;
        return new Decision(output, index, thresholds, dflt, prefix);
    }

    static Ladder ladder(Object node, Features features) {
        Map<?, ?> m = map(node, "ladder");
        keys(m, Set.of("fallback", "rules", "safe_default", "deadline_margin_ms"), "ladder");
        TargetRef fallback = m.containsKey("fallback") ? PolicyParser.ref(m.get("fallback"), "ladder.fallback") : null;
        List<Rule> rules = new ArrayList<>();
        if (m.containsKey("rules")) {
            List<?> list = listOf(m.get("rules"), "ladder.rules");
            for (int i = 0; i < list.size(); i++) {
                String at = "ladder.rules[" + i + "]";
                Map<?, ?> r = map(list.get(i), at);
                keys(r, Set.of("feature", "above", "below", "decision", "score"), at);
                String feature = string(required(r, "feature", at), at + ".feature");
                if (features == null || !features.refs().contains(feature)) {
                    throw new IllegalArgumentException(
                            at + ".feature '" + ModelNames.printable(feature) + "' is not in features.refs");
                }
                Double above = r.containsKey("above") ? finite(r.get("above"), at + ".above") : null;
                Double below = r.containsKey("below") ? finite(r.get("below"), at + ".below") : null;
                if (above == null && below == null) {
                    throw new IllegalArgumentException(at + ": give 'above' or 'below' (or both)");
                }
                rules.add(new Rule(
                        feature,
                        above,
                        below,
                        string(required(r, "decision", at), at + ".decision"),
                        finite(required(r, "score", at), at + ".score")));
            }
        }
        Map<?, ?> sd = map(required(m, "safe_default", "ladder"), "ladder.safe_default");
        keys(sd, Set.of("decision", "score"), "ladder.safe_default");
        Outcome safe = new Outcome(
                string(required(sd, "decision", "ladder.safe_default"), "ladder.safe_default.decision"),
                finite(required(sd, "score", "ladder.safe_default"), "ladder.safe_default.score"));
        long margin = m.containsKey("deadline_margin_ms")
                ? range(
                        integer(m.get("deadline_margin_ms"), "ladder.deadline_margin_ms"),
                        0,
                        60_000,
                        "ladder.deadline_margin_ms")
                : 5;
        return new Ladder(fallback, rules, safe, margin);
    }

    static Breaker breaker(Object node) {
        Map<?, ?> m = map(node, "circuit_breaker");
        keys(m, Set.of("failure_rate_percent", "minimum_calls", "window", "open_ms"), "circuit_breaker");
        Breaker d = Breaker.DEFAULTS;
        int rate = m.containsKey("failure_rate_percent")
                ? (int) range(
                        integer(m.get("failure_rate_percent"), "circuit_breaker.failure_rate_percent"),
                        1,
                        100,
                        "circuit_breaker.failure_rate_percent")
                : d.failureRatePercent();
        int window = m.containsKey("window")
                ? (int) range(integer(m.get("window"), "circuit_breaker.window"), 1, 10_000, "circuit_breaker.window")
                : d.window();
        int min = m.containsKey("minimum_calls")
                ? (int) range(
                        integer(m.get("minimum_calls"), "circuit_breaker.minimum_calls"),
                        1,
                        10_000,
                        "circuit_breaker.minimum_calls")
                : Math.min(d.minimumCalls(), window);
        if (min > window) {
            throw new IllegalArgumentException(
                    "circuit_breaker.minimum_calls must be at most window (" + window + "), was " + min);
        }
        long open = m.containsKey("open_ms")
                ? range(integer(m.get("open_ms"), "circuit_breaker.open_ms"), 1, 3_600_000, "circuit_breaker.open_ms")
                : d.openMs();
        return new Breaker(rate, min, window, open);
    }
}
