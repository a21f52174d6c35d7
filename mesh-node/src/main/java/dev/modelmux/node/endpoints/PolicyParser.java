package dev.modelmux.node.endpoints;

import static dev.modelmux.node.endpoints.YamlValues.integer;
import static dev.modelmux.node.endpoints.YamlValues.keys;
import static dev.modelmux.node.endpoints.YamlValues.listOf;
import static dev.modelmux.node.endpoints.YamlValues.map;
import static dev.modelmux.node.endpoints.YamlValues.number;
import static dev.modelmux.node.endpoints.YamlValues.range;
import static dev.modelmux.node.endpoints.YamlValues.required;
import static dev.modelmux.node.endpoints.YamlValues.scalars;
import static dev.modelmux.node.endpoints.YamlValues.sorted;
import static dev.modelmux.node.endpoints.YamlValues.string;

import dev.modelmux.node.endpoints.EndpointSpec.Policy;
import dev.modelmux.node.endpoints.EndpointSpec.PolicyType;
import dev.modelmux.node.endpoints.EndpointSpec.SegmentRule;
import dev.modelmux.node.endpoints.EndpointSpec.Shadow;
import dev.modelmux.node.endpoints.EndpointSpec.Target;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.repo.ModelNames;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** An endpoint's {@code policy} section (its targets, rules and shadow) and the model references in it. */
final class PolicyParser {
    private PolicyParser() {}

    static Policy policy(Object node) {
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
                    throw new IllegalArgumentException(
                            at + ".when must test at least one of " + sorted(EndpointsLoader.CONTEXT_KEYS));
                }
                for (Map.Entry<String, String> e : when.entrySet()) {
                    if (!EndpointsLoader.CONTEXT_KEYS.contains(e.getKey())) {
                        throw new IllegalArgumentException(
                                at + ".when: unknown key '" + ModelNames.printable(e.getKey()) + "'; known keys: "
                                        + sorted(EndpointsLoader.CONTEXT_KEYS));
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

    static TargetRef ref(Object node, String where) {
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
}
