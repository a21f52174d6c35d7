package dev.modelmux.node.endpoints;

import dev.modelmux.admission.config.StrictYaml;
import dev.modelmux.node.endpoints.EndpointSpec.Breaker;
import dev.modelmux.node.endpoints.EndpointSpec.Decision;
import dev.modelmux.node.endpoints.EndpointSpec.Features;
import dev.modelmux.node.endpoints.EndpointSpec.Ladder;
import dev.modelmux.node.endpoints.EndpointSpec.Outcome;
import dev.modelmux.node.endpoints.EndpointSpec.Policy;
import dev.modelmux.node.endpoints.EndpointSpec.PolicyType;
import dev.modelmux.node.endpoints.EndpointSpec.Rule;
import dev.modelmux.node.endpoints.EndpointSpec.Schema;
import dev.modelmux.node.endpoints.EndpointSpec.SegmentRule;
import dev.modelmux.node.endpoints.EndpointSpec.Shadow;
import dev.modelmux.node.endpoints.EndpointSpec.Target;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.node.endpoints.EndpointSpec.Tensor;
import dev.modelmux.node.endpoints.EndpointSpec.Threshold;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.config.DataType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads endpoint definitions from YAML (JSON, being YAML, reads too): a file {@code {endpoints:
 * [...]}} or one endpoint object. Strict: unknown keys, wrong types and out-of-range values are
 * refused with a message naming the endpoint and the field, e.g. {@code endpoints[0] (name
 * 'example'): policy.targets[1].weight must be in [0, 100], was 120}. Only plain maps, lists,
 * strings and numbers are built (SnakeYAML's safe constructor); input is capped at {@link
 * #MAX_BYTES}.
 */
public final class EndpointsLoader {
    public static final int MAX_BYTES = 1 << 20;
    private static final int MAX_DEPTH = 24;
    /** Feature names: what a feature store key may hold. */
    public static final Pattern FEATURE_NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");
    /** Keys a segment rule may test, read from the request context. */
    public static final Set<String> CONTEXT_KEYS = Set.of("tenant", "region", "device_class", "risk_tier");

    private static final Set<String> ENDPOINT_KEYS =
            Set.of("name", "metadata", "schema", "policy", "features", "decision", "ladder", "circuit_breaker", "log");

    private EndpointsLoader() {}

    /** Reads a file of endpoints. */
    public static List<EndpointSpec> load(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length > MAX_BYTES) {
            throw new InvalidEndpointException(file.getFileName() + ": larger than " + MAX_BYTES + " bytes");
        }
        return parse(new String(bytes, StandardCharsets.UTF_8));
    }

    /** Parses {@code {endpoints: [...]}}; names must be unique. */
    public static List<EndpointSpec> parse(String text) {
        Object root = yaml(text, "endpoints");
        if (!(root instanceof Map<?, ?> top)) {
            throw new InvalidEndpointException("endpoints: must be a map with an 'endpoints' list");
        }
        keys(top, Set.of("endpoints"), "endpoints file");
        return list(top.get("endpoints"));
    }

    /** Parses the {@code endpoints} list of a file or document. */
    static List<EndpointSpec> list(Object node) {
        if (!(node instanceof List<?> list)) {
            throw new InvalidEndpointException("endpoints: must be a list of endpoints, was " + type(node));
        }
        List<EndpointSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            EndpointSpec e = endpoint(list.get(i), "endpoints[" + i + "]");
            if (!names.add(e.name())) {
                throw new InvalidEndpointException("endpoints[" + i + "]: name '" + e.name() + "' is used twice");
            }
            out.add(e);
        }
        return out;
    }

    /**
     * Parses one endpoint object.
     *
     * @param impliedName the name when the object has none (the API's path); null when required
     */
    public static EndpointSpec parseOne(String text, String impliedName) {
        Object root = yaml(text, "endpoint");
        if (impliedName != null && root instanceof Map<?, ?> m && !m.containsKey("name")) {
            Map<Object, Object> named = new LinkedHashMap<>(m);
            named.put("name", impliedName);
            root = named;
        }
        return endpoint(root, "endpoint");
    }

    static Object yaml(String text, String what) {
        try {
            return StrictYaml.load(text, what, MAX_BYTES, MAX_DEPTH);
        } catch (StrictYaml.InvalidYamlException e) {
            throw new InvalidEndpointException(e.getMessage());
        }
    }

    static EndpointSpec endpoint(Object node, String where) {
        if (!(node instanceof Map<?, ?> m)) {
            throw new InvalidEndpointException(where + ": must be a map with at least 'name' and 'policy'");
        }
        if (m.get("name") instanceof String n) {
            where += " (name '" + ModelNames.printable(n) + "')";
        }
        try {
            keys(m, ENDPOINT_KEYS, "");
            if (!(m.get("name") instanceof String name)) {
                throw new IllegalArgumentException("name is required and must be a string");
            }
            try {
                ModelNames.validate(name);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("name: " + e.getMessage());
            }
            Map<String, String> metadata =
                    m.containsKey("metadata") ? scalars(m.get("metadata"), "metadata") : Map.of();
            Schema schema = m.containsKey("schema") ? schema(m.get("schema")) : null;
            Policy policy = policy(required(m, "policy"));
            Features features = m.containsKey("features") ? features(m.get("features")) : null;
            Decision decision = m.containsKey("decision") ? decision(m.get("decision")) : null;
            Ladder ladder = m.containsKey("ladder") ? ladder(m.get("ladder"), features) : null;
            if (decision != null && features == null) {
                throw new IllegalArgumentException(
                        "decision needs a features section (the model's input comes from features)");
            }
            if (ladder != null && decision == null) {
                throw new IllegalArgumentException("ladder needs a decision section (it degrades decisions)");
            }
            if (decision != null
                    && decision.output() != null
                    && schema != null
                    && schema.outputs().stream().noneMatch(t -> t.name().equals(decision.output()))) {
                throw new IllegalArgumentException(
                        "decision.output '" + decision.output() + "' is not an output of the schema");
            }
            Breaker breaker = m.containsKey("circuit_breaker") ? breaker(m.get("circuit_breaker")) : Breaker.DEFAULTS;
            double sample = 1.0;
            if (m.containsKey("log")) {
                Map<?, ?> log = map(m.get("log"), "log");
                keys(log, Set.of("sample_rate"), "log");
                sample = log.containsKey("sample_rate")
                        ? range(number(log.get("sample_rate"), "log.sample_rate"), 0, 1, "log.sample_rate")
                        : 1.0;
            }
            return new EndpointSpec(name, metadata, schema, policy, features, decision, ladder, breaker, sample);
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointException(where + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- sections

    private static Schema schema(Object node) {
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

    private static Policy policy(Object node) {
        Map<?, ?> m = map(node, "policy");
        keys(m, Set.of("type", "targets", "active", "rules", "default", "shadow"), "policy");
        String typeName = string(required(m, "type", "policy"), "policy.type");
        PolicyType type;
        try {
            type = PolicyType.valueOf(typeName.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "policy.type must be one of single, champion_challenger, canary, blue_green, " + "segment, was '"
                            + ModelNames.printable(typeName) + "'");
        }
        Shadow shadow = m.containsKey("shadow") ? shadow(m.get("shadow")) : null;
        if (type == PolicyType.SEGMENT) {
            notFor(m, type, "targets", "active");
            List<?> rules = listOf(required(m, "rules", "policy"), "policy.rules");
            if (rules.isEmpty()) {
                throw new IllegalArgumentException("policy.rules must list at least one rule");
            }
            List<SegmentRule> out = new ArrayList<>();
            for (int i = 0; i < rules.size(); i++) {
                String at = "policy.rules[" + i + "]";
                Map<?, ?> r = map(rules.get(i), at);
                keys(r, Set.of("when", "target"), at);
                Map<String, String> when = scalars(required(r, "when", at), at + ".when");
                if (when.isEmpty()) {
                    throw new IllegalArgumentException(at + ".when must test at least one of " + sorted(CONTEXT_KEYS));
                }
                for (Map.Entry<String, String> e : when.entrySet()) {
                    if (!CONTEXT_KEYS.contains(e.getKey())) {
                        throw new IllegalArgumentException(at + ".when: unknown key '"
                                + ModelNames.printable(e.getKey()) + "'; known keys: " + sorted(CONTEXT_KEYS));
                    }
                    if (e.getValue().isEmpty()) {
                        throw new IllegalArgumentException(at + ".when." + e.getKey() + " must not be empty");
                    }
                }
                out.add(new SegmentRule(when, ref(required(r, "target", at), at + ".target")));
            }
            TargetRef dflt = ref(required(m, "default", "policy"), "policy.default");
            return new Policy(type, List.of(), "", out, dflt, shadow);
        }
        notFor(m, type, "rules", "default");
        List<?> list = listOf(required(m, "targets", "policy"), "policy.targets");
        List<Target> targets = new ArrayList<>();
        Set<TargetRef> seen = new HashSet<>();
        int sum = 0;
        for (int i = 0; i < list.size(); i++) {
            String at = "policy.targets[" + i + "]";
            Map<?, ?> t = map(list.get(i), at);
            keys(t, Set.of("model", "version", "weight", "name"), at);
            TargetRef ref = ref(t, at);
            if (!seen.add(ref)) {
                throw new IllegalArgumentException(at + ": " + ref + " is listed twice");
            }
            String name = t.containsKey("name") ? string(t.get("name"), at + ".name") : "";
            int weight = 0;
            boolean weighted = type == PolicyType.CANARY || type == PolicyType.CHAMPION_CHALLENGER;
            if (weighted) {
                weight = (int) range(integer(required(t, "weight", at), at + ".weight"), 0, 100, at + ".weight");
                sum += weight;
            } else if (t.containsKey("weight")) {
                throw new IllegalArgumentException(at + ".weight: only canary and champion_challenger split by weight");
            }
            if (type == PolicyType.BLUE_GREEN && !name.equals("blue") && !name.equals("green")) {
                throw new IllegalArgumentException(
                        at + ".name must be blue or green, was '" + ModelNames.printable(name) + "'");
            }
            if (type != PolicyType.BLUE_GREEN && !name.isEmpty()) {
                throw new IllegalArgumentException(at + ".name: only blue_green targets are named");
            }
            targets.add(new Target(name, ref, weight));
        }
        String active = "";
        switch (type) {
            case SINGLE -> {
                if (targets.size() != 1) {
                    throw new IllegalArgumentException(
                            "policy.targets: single needs exactly one target, has " + targets.size());
                }
            }
            case CANARY, CHAMPION_CHALLENGER -> {
                if (targets.size() < 2) {
                    throw new IllegalArgumentException(
                            "policy.targets: " + type.label() + " needs at least two targets, has " + targets.size());
                }
                if (sum != 100) {
                    throw new IllegalArgumentException(
                            "policy.targets: weights must add up to 100, they add up to " + sum);
                }
            }
            case BLUE_GREEN -> {
                if (targets.size() != 2
                        || targets.stream().map(Target::name).distinct().count() != 2) {
                    throw new IllegalArgumentException(
                            "policy.targets: blue_green needs exactly two targets, named blue and green");
                }
                active = string(required(m, "active", "policy"), "policy.active");
                if (!active.equals("blue") && !active.equals("green")) {
                    throw new IllegalArgumentException(
                            "policy.active must be blue or green, was '" + ModelNames.printable(active) + "'");
                }
            }
            default -> throw new IllegalStateException(type.name());
        }
        if (type != PolicyType.BLUE_GREEN && m.containsKey("active")) {
            throw new IllegalArgumentException("policy.active: only for blue_green");
        }
        return new Policy(type, targets, active, List.of(), null, shadow);
    }

    private static void notFor(Map<?, ?> m, PolicyType type, String... keys) {
        for (String k : keys) {
            if (m.containsKey(k)) {
                throw new IllegalArgumentException("policy." + k + ": not used by a " + type.label() + " policy");
            }
        }
    }

    private static Shadow shadow(Object node) {
        Map<?, ?> m = map(node, "policy.shadow");
        keys(m, Set.of("model", "version", "sample", "max_in_flight"), "policy.shadow");
        TargetRef ref = ref(m, "policy.shadow");
        double sample = m.containsKey("sample") ? number(m.get("sample"), "policy.shadow.sample") : 1.0;
        if (!(sample > 0 && sample <= 1)) {
            throw new IllegalArgumentException("policy.shadow.sample must be in (0, 1], was " + sample);
        }
        long max = m.containsKey("max_in_flight") ? integer(m.get("max_in_flight"), "policy.shadow.max_in_flight") : 4;
        return new Shadow(ref, sample, (int) range(max, 1, 10_000, "policy.shadow.max_in_flight"));
    }

    private static Features features(Object node) {
        Map<?, ?> m = map(node, "features");
        keys(m, Set.of("refs", "defaults", "timeout_ms", "cache_staleness_ms"), "features");
        List<?> list = listOf(required(m, "refs", "features"), "features.refs");
        if (list.isEmpty()) {
            throw new IllegalArgumentException("features.refs must list at least one feature");
        }
        List<String> refs = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String ref = string(list.get(i), "features.refs[" + i + "]");
            if (!FEATURE_NAME.matcher(ref).matches()) {
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

    private static Decision decision(Object node) {
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

    private static Ladder ladder(Object node, Features features) {
        Map<?, ?> m = map(node, "ladder");
        keys(m, Set.of("fallback", "rules", "safe_default", "deadline_margin_ms"), "ladder");
        TargetRef fallback = m.containsKey("fallback") ? ref(m.get("fallback"), "ladder.fallback") : null;
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

    private static Breaker breaker(Object node) {
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

    private static TargetRef ref(Object node, String where) {
        Map<?, ?> m = map(node, where);
        if (!where.startsWith("policy.targets") && !where.equals("policy.shadow")) {
            keys(
                    m,
                    Set.of("model", "version"),
                    where); // targets and the shadow have more keys, checked by their callers
        }
        String model = string(required(m, "model", where), where + ".model");
        try {
            ModelNames.validate(model);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ".model: " + e.getMessage());
        }
        long version = range(
                integer(required(m, "version", where), where + ".version"), 1, Long.MAX_VALUE / 2, where + ".version");
        return new TargetRef(model, version);
    }

    // ---------------------------------------------------------------- values

    private static Object required(Map<?, ?> m, String key) {
        return required(m, key, "");
    }

    private static Object required(Map<?, ?> m, String key, String where) {
        Object v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException((where.isEmpty() ? "" : where + ".") + key + " is required");
        }
        return v;
    }

    private static void keys(Map<?, ?> m, Set<String> allowed, String what) {
        for (Object k : m.keySet()) {
            if (!(k instanceof String s) || !allowed.contains(s)) {
                throw new IllegalArgumentException((what.isEmpty() ? "" : what + ": ") + "unknown key '"
                        + ModelNames.printable(String.valueOf(k)) + "'; known keys: " + sorted(allowed));
            }
        }
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }

    private static Map<?, ?> map(Object v, String where) {
        if (!(v instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + " must be a map, was " + type(v));
        }
        return m;
    }

    private static List<?> listOf(Object v, String where) {
        if (!(v instanceof List<?> l)) {
            throw new IllegalArgumentException(where + " must be a list, was " + type(v));
        }
        return l;
    }

    /** A map of scalar values, as strings (config parameters and contexts are strings). */
    private static Map<String, String> scalars(Object v, String where) {
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

    private static String string(Object v, String where) {
        if (!(v instanceof String s) || s.isEmpty()) {
            throw new IllegalArgumentException(where + " must be a non-empty string, was " + describe(v));
        }
        if (s.length() > 1024) {
            throw new IllegalArgumentException(where + " is longer than 1024 characters");
        }
        return s;
    }

    private static double number(Object v, String where) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(where + " must be a number, was " + describe(v));
    }

    private static double finite(Object v, String where) {
        double d = number(v, where);
        if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(where + " must be a finite number, was " + d);
        }
        return d;
    }

    private static long integer(Object v, String where) {
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new IllegalArgumentException(where + " must be an integer, was " + describe(v));
    }

    private static long range(long v, long min, long max, String where) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(where + " must be in [" + min + ", " + max + "], was " + v);
        }
        return v;
    }

    private static double range(double v, double min, double max, String where) {
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(where + " must be in [" + min + ", " + max + "], was " + v);
        }
        return v;
    }

    private static String describe(Object v) {
        return StrictYaml.describe(v);
    }

    private static String type(Object v) {
        return StrictYaml.type(v);
    }
}
