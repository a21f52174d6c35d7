package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.admin.CapacitySource;
import dev.modelmux.admin.CapacitySource.CapacityQuery;
import dev.modelmux.admin.CapacitySource.CapacityReport;
import dev.modelmux.placement.capacity.CapacityPlan;
import dev.modelmux.placement.capacity.CapacityPolicy;
import dev.modelmux.placement.capacity.ClusterAdvice;
import dev.modelmux.placement.capacity.ModelAdvice;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.OptionalDouble;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/capacity}: advice per model and for the mesh. Query parameters: {@code
 * target_utilization} (0, 1], default 0.6; {@code window} (10s to the figures kept, 15m, by default
 * all of them) over which the peak rate and p99 are taken; {@code reaction_time} (0 to 1h, default
 * 10s) against which load time is judged; {@code extra_traffic_share} (0 to 10, default 0), the canary
 * and shadow traffic on top of a model's own where its endpoints do not say. A bad one is a 400
 * naming it.
 */
final class CapacityRoutes {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");
    static final long MIN_WINDOW_MILLIS = 10_000;
    static final long MAX_REACTION_MILLIS = 3_600_000;

    private final AdminHttp http;
    private final CapacitySource capacity;
    private final LongSupplier clockMillis;

    CapacityRoutes(AdminHttp http, CapacitySource capacity, LongSupplier clockMillis) {
        this.http = http;
        this.capacity = capacity;
        this.clockMillis = clockMillis;
    }

    void mount(Router r) {
        http.handle(r.get("/api/v1/capacity"), 0, ctx -> {
            CapacityQuery q = query(ctx, capacity.retentionMillis());
            return capacity.advise(q).map(report -> AdminReply.ok(json(q, report)));
        });
    }

    static CapacityQuery query(RoutingContext ctx, long retentionMillis) {
        double u = number(
                ctx.request().getParam("target_utilization"),
                "target_utilization",
                CapacityPolicy.DEFAULT_TARGET_UTILIZATION);
        long window = millis(ctx.request().getParam("window"), "window", retentionMillis);
        if (window < MIN_WINDOW_MILLIS || window > retentionMillis) {
            throw AdminFailure.badRequest(
                    "window: must be between 10s and 15m (the figures kept), was " + window + " ms");
        }
        long reaction = millis(ctx.request().getParam("reaction_time"), "reaction_time", (long)
                (CapacityPolicy.DEFAULT_REACTION_SECONDS * 1000));
        if (reaction > MAX_REACTION_MILLIS) {
            throw AdminFailure.badRequest("reaction_time: must be at most 1h");
        }
        double share = number(ctx.request().getParam("extra_traffic_share"), "extra_traffic_share", 0);
        if (!(share >= 0 && share <= 10)) {
            throw AdminFailure.badRequest("extra_traffic_share: must be in [0, 10], was " + share);
        }
        try {
            return new CapacityQuery(new CapacityPolicy(u, reaction / 1000.0), window, share);
        } catch (IllegalArgumentException e) {
            throw AdminFailure.badRequest(e.getMessage());
        }
    }

    private JsonObject json(CapacityQuery q, CapacityReport report) {
        CapacityPlan plan = report.plan();
        JsonArray models = new JsonArray();
        for (ModelAdvice a : plan.models()) {
            JsonObject o = new JsonObject()
                    .put("model", a.model())
                    .put("status", a.status().label())
                    .put("peak_qps", round(a.peakQps()))
                    .put("current_qps", round(a.currentQps()));
            optional(o, "p99_inference_seconds", a.p99Seconds());
            optional(o, "load_seconds", a.loadSeconds());
            o.put("extra_traffic_share", a.extraTrafficShare())
                    .put("required_copies", a.requiredCopies())
                    .put("current_copies", a.currentCopies())
                    .put(
                            "copies",
                            new JsonObject()
                                    .put("base", a.baseCopies())
                                    .put("load_headroom", a.loadHeadroom())
                                    .put("failover_headroom", a.failoverHeadroom())
                                    .put("floor", a.floorCopies()))
                    .put("bytes_per_copy", a.bytesPerCopy())
                    .put("required_memory_bytes", a.requiredBytes())
                    .put("fits_on_a_device", a.fitsOnADevice());
            if (!a.note().isEmpty()) {
                o.put("note", a.note());
            }
            models.add(o);
        }
        ClusterAdvice c = plan.cluster();
        JsonObject cluster = new JsonObject()
                .put("status", c.status().label())
                .put("nodes", c.nodes())
                .put("nodes_needed", c.nodesNeeded())
                .put("capacity_bytes", c.capacityBytes())
                .put("used_bytes", c.usedBytes())
                .put("required_memory_bytes", c.requiredBytes())
                .put("per_node_capacity_bytes", c.perNodeCapacityBytes())
                .put("under_provisioned", new JsonArray(c.underProvisioned()))
                .put("over_provisioned", new JsonArray(c.overProvisioned()));
        JsonObject params = new JsonObject()
                .put("target_utilization", q.policy().targetUtilization())
                .put("window_seconds", q.windowMillis() / 1000.0)
                .put("reaction_time_seconds", q.policy().reactionSeconds())
                .put("extra_traffic_share", q.extraTrafficShare());
        return new JsonObject()
                .put("node", report.node())
                .put("generated_at_ms", clockMillis.getAsLong())
                .put("parameters", params)
                .put("window_covered_seconds", report.coveredMillis() / 1000.0)
                .put("cluster", cluster)
                .put("models", models);
    }

    private static void optional(JsonObject o, String key, OptionalDouble v) {
        if (v.isPresent()) {
            o.put(key, v.getAsDouble());
        } else {
            o.putNull(key);
        }
    }

    private static double round(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static double number(String v, String name, double dflt) {
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw AdminFailure.badRequest(name + ": must be a number");
        }
    }

    /** {@code 90s}, {@code 15m}, {@code 500ms}, {@code 1h}; a bare number is seconds. */
    static long millis(String v, String name, long dflt) {
        if (v == null || v.isBlank()) {
            return dflt;
        }
        Matcher m = DURATION.matcher(v.trim());
        if (!m.matches()) {
            throw AdminFailure.badRequest(name + ": must be a duration such as 90s, 15m or 500ms");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> n;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            default -> n * 1000;
        };
    }
}
