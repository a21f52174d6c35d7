package dev.modelmux.node.endpoints;

import static dev.modelmux.node.endpoints.YamlValues.keys;
import static dev.modelmux.node.endpoints.YamlValues.map;
import static dev.modelmux.node.endpoints.YamlValues.number;
import static dev.modelmux.node.endpoints.YamlValues.range;
import static dev.modelmux.node.endpoints.YamlValues.required;
import static dev.modelmux.node.endpoints.YamlValues.scalars;
import static dev.modelmux.node.endpoints.YamlValues.type;

import dev.modelmux.admission.config.StrictYaml;
import dev.modelmux.node.endpoints.EndpointSpec.Breaker;
import dev.modelmux.node.endpoints.EndpointSpec.Decision;
import dev.modelmux.node.endpoints.EndpointSpec.Features;
import dev.modelmux.node.endpoints.EndpointSpec.Ladder;
import dev.modelmux.node.endpoints.EndpointSpec.Policy;
import dev.modelmux.node.endpoints.EndpointSpec.Schema;
import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.repo.ModelNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
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
            Schema schema = m.containsKey("schema") ? EndpointSections.schema(m.get("schema")) : null;
            Policy policy = PolicyParser.policy(required(m, "policy"));
            Features features = m.containsKey("features") ? EndpointSections.features(m.get("features")) : null;
            Decision decision = m.containsKey("decision") ? EndpointSections.decision(m.get("decision")) : null;
            Ladder ladder = m.containsKey("ladder") ? EndpointSections.ladder(m.get("ladder"), features) : null;
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
            Breaker breaker = m.containsKey("circuit_breaker")
                    ? EndpointSections.breaker(m.get("circuit_breaker"))
                    : Breaker.DEFAULTS;
            double sample = 1.0;
            LogDurability durability = null;
            if (m.containsKey("log")) {
                Map<?, ?> log = map(m.get("log"), "log");
                keys(log, Set.of("sample_rate", "durability"), "log");
                sample = log.containsKey("sample_rate")
                        ? range(number(log.get("sample_rate"), "log.sample_rate"), 0, 1, "log.sample_rate")
                        : 1.0;
                if (log.containsKey("durability")) {
                    if (!(log.get("durability") instanceof String d)) {
                        throw new IllegalArgumentException("log.durability: must be none, interval or always");
                    }
                    durability = LogDurability.parse(d, "log.durability");
                }
            }
            return new EndpointSpec(
                    name, metadata, schema, policy, features, decision, ladder, breaker, sample, durability);
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointException(where + ": " + e.getMessage());
        }
    }
}
