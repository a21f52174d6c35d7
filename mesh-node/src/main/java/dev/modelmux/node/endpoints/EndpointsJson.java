package dev.modelmux.node.endpoints;

import dev.modelmux.node.endpoints.EndpointSpec.Policy;
import dev.modelmux.node.endpoints.EndpointSpec.PolicyType;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.node.endpoints.EndpointSpec.Tensor;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Writes an endpoint in the file's schema (snake_case JSON), so that {@link EndpointsLoader} reads it back unchanged. */
public final class EndpointsJson {
    private EndpointsJson() {}

    public static JsonObject write(EndpointSpec e) {
        JsonObject o = new JsonObject().put("name", e.name());
        if (!e.metadata().isEmpty()) {
            o.put("metadata", new JsonObject(new TreeMap<>(e.metadata())));
        }
        if (e.schema() != null) {
            o.put(
                    "schema",
                    new JsonObject()
                            .put("inputs", tensors(e.schema().inputs()))
                            .put("outputs", tensors(e.schema().outputs())));
        }
        o.put("policy", policy(e.policy()));
        if (e.features() != null) {
            JsonObject defaults = new JsonObject();
            e.features()
                    .refs()
                    .forEach(r -> defaults.put(r, e.features().defaults().get(r)));
            o.put(
                    "features",
                    new JsonObject()
                            .put("refs", new JsonArray(e.features().refs()))
                            .put("defaults", defaults)
                            .put("timeout_ms", e.features().timeoutMs())
                            .put("cache_staleness_ms", e.features().cacheStalenessMs()));
        }
        if (e.decision() != null) {
            EndpointSpec.Decision d = e.decision();
            JsonArray thresholds = new JsonArray();
            d.thresholds()
                    .forEach(t ->
                            thresholds.add(new JsonObject().put("min", t.min()).put("decision", t.decision())));
            JsonObject dj = new JsonObject();
            if (d.output() != null) {
                dj.put("output", d.output());
            }
            dj.put("index", d.index()).put("thresholds", thresholds).put("default", d.defaultDecision());
            if (d.explanationsRefPrefix() != null) {
                dj.put("explanations_ref_prefix", d.explanationsRefPrefix());
            }
            o.put("decision", dj);
        }
        if (e.ladder() != null) {
            EndpointSpec.Ladder l = e.ladder();
            JsonObject lj = new JsonObject();
            if (l.fallback() != null) {
                lj.put("fallback", ref(l.fallback()));
            }
            JsonArray rules = new JsonArray();
            for (EndpointSpec.Rule r : l.rules()) {
                JsonObject rj = new JsonObject().put("feature", r.feature());
                if (r.above() != null) {
                    rj.put("above", r.above());
                }
                if (r.below() != null) {
                    rj.put("below", r.below());
                }
                rules.add(rj.put("decision", r.decision()).put("score", r.score()));
            }
            lj.put("rules", rules)
                    .put(
                            "safe_default",
                            new JsonObject()
                                    .put("decision", l.safeDefault().decision())
                                    .put("score", l.safeDefault().score()))
                    .put("deadline_margin_ms", l.deadlineMarginMs());
            o.put("ladder", lj);
        }
        EndpointSpec.Breaker b = e.breaker();
        o.put(
                "circuit_breaker",
                new JsonObject()
                        .put("failure_rate_percent", b.failureRatePercent())
                        .put("minimum_calls", b.minimumCalls())
                        .put("window", b.window())
                        .put("open_ms", b.openMs()));
        JsonObject log = new JsonObject().put("sample_rate", e.logSampleRate());
        if (e.logDurability() != null) {
            log.put("durability", e.logDurability().label());
        }
        o.put("log", log);
        return o;
    }

    private static JsonObject policy(Policy p) {
        JsonObject o = new JsonObject().put("type", p.type().label());
        if (p.type() == PolicyType.SEGMENT) {
            JsonArray rules = new JsonArray();
            p.rules()
                    .forEach(r -> rules.add(new JsonObject()
                            .put("when", new JsonObject(new TreeMap<>(Map.copyOf(r.when()))))
                            .put("target", ref(r.target()))));
            o.put("rules", rules).put("default", ref(p.defaultTarget()));
        } else {
            JsonArray targets = new JsonArray();
            for (EndpointSpec.Target t : p.targets()) {
                JsonObject tj = ref(t.ref());
                if (!t.name().isEmpty()) {
                    tj.put("name", t.name());
                }
                if (p.type() == PolicyType.CANARY || p.type() == PolicyType.CHAMPION_CHALLENGER) {
                    tj.put("weight", t.weight());
                }
                targets.add(tj);
            }
            o.put("targets", targets);
            if (p.type() == PolicyType.BLUE_GREEN) {
                o.put("active", p.active());
            }
        }
        if (p.shadow() != null) {
            o.put(
                    "shadow",
                    ref(p.shadow().target())
                            .put("sample", p.shadow().sample())
                            .put("max_in_flight", p.shadow().maxInFlight()));
        }
        return o;
    }

    static JsonObject ref(TargetRef r) {
        return new JsonObject().put("model", r.model()).put("version", r.version());
    }

    private static JsonArray tensors(List<Tensor> list) {
        JsonArray a = new JsonArray();
        list.forEach(t -> a.add(new JsonObject()
                .put("name", t.name())
                .put("data_type", t.dataType())
                .put("dims", new JsonArray(t.dims()))));
        return a;
    }
}
