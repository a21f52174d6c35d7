package dev.modelmux.node.admin;

import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.CapacitySignals;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Operators;
import dev.modelmux.node.metrics.ModelStats;
import dev.modelmux.node.protocol.ApiContext;
import dev.modelmux.placement.capacity.CapacityPlan;
import dev.modelmux.placement.capacity.CapacityPolicy;
import dev.modelmux.placement.capacity.ClusterAdvice;
import dev.modelmux.placement.capacity.ModelAdvice;
import dev.modelmux.placement.capacity.ModelDemand;
import dev.modelmux.placement.capacity.NodeCapacity;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code GET /api/v1/capacity} (admin token): live figures turned into advice per model and for the
 * mesh — how many copies each model needs for its peak traffic at a target utilization, with
 * headroom for slow loads, canary and shadow traffic and the loss of one node, the memory they take
 * against what the devices have, and which models are under- or over-provisioned. The figures come
 * from {@link CapacitySignals}; the arithmetic is {@link CapacityPlan#compute}.
 *
 * <p>Query parameters: {@code target_utilization} (0, 1], default 0.6; {@code window} (10s to 15m,
 * default 15m) over which the peak rate and p99 are taken; {@code reaction_time} (0 to 1h, default
 * 10s) against which load time is judged; {@code extra_traffic_share} (0 to 10, default 0), the
 * canary and shadow traffic on top of a model's own, used for models the {@link TrafficShares} hook
 * does not know.
 */
public final class CapacityAdvisor {
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");
    private static final long MIN_WINDOW_MILLIS = 10_000;

    /**
     * Where a model's canary and shadow traffic share comes from, once endpoints split traffic: the
     * share of its traffic that its endpoints send to canary or shadow copies on top of the primary
     * ones (0.1 for a 10% canary plus nothing else), or empty when no endpoint routes to it.
     * {@link #none()} until an endpoints component installs one with {@link CapacityAdvisor#trafficShares}.
     */
    @FunctionalInterface
    public interface TrafficShares {
        OptionalDouble extraShare(String model);

        static TrafficShares none() {
            return model -> OptionalDouble.empty();
        }
    }

    private final Vertx vertx;
    private final ApiContext api;
    private final ClusterLink link;
    private final Operators operators;
    private final CapacitySignals signals;
    private volatile TrafficShares shares = TrafficShares.none();

    public CapacityAdvisor(Vertx vertx, ApiContext api, Operators operators, CapacitySignals signals) {
        this.vertx = vertx;
        this.api = api;
        this.link = api.cluster();
        this.operators = operators;
        this.signals = signals;
    }

    /** An advisor over this node's metrics ({@code registry}) and the mesh {@code api} belongs to. */
    public static CapacityAdvisor create(Vertx vertx, ApiContext api, Operators operators, MeterRegistry registry) {
        CapacitySignals signals = new CapacitySignals(
                vertx,
                api.cluster(),
                new ModelStats(registry, System::nanoTime, CapacitySignals.LATENCY_TIMER),
                System::nanoTime,
                System::currentTimeMillis);
        return new CapacityAdvisor(vertx, api, operators, signals);
    }

    /** Installs the source of canary and shadow shares (endpoints); the query parameter covers the rest. */
    public void trafficShares(TrafficShares shares) {
        this.shares = shares == null ? TrafficShares.none() : shares;
    }

    /** Mounts the route and starts sampling; returns {@code r}. */
    public Router mount(Router r) {
        r.get("/api/v1/capacity").handler(this::capacity);
        signals.start();
        return r;
    }

    public void stop() {
        signals.stop();
    }

    private void capacity(RoutingContext ctx) {
        AdminRoutes.handle(ctx, api.admin(), () -> advise(params(ctx)).map(AdminRoutes.Reply::ok));
    }

    /** The query parameters, validated (a bad one is a 400 naming it). */
    record Params(CapacityPolicy policy, long windowMillis, double extraTrafficShare) {}

    static Params params(RoutingContext ctx) {
        double u = number(
                ctx.request().getParam("target_utilization"),
                "target_utilization",
                CapacityPolicy.DEFAULT_TARGET_UTILIZATION);
        long window = millis(ctx.request().getParam("window"), "window", CapacitySignals.RETENTION_MILLIS);
        if (window < MIN_WINDOW_MILLIS || window > CapacitySignals.RETENTION_MILLIS) {
            throw ServingException.invalid(
                    "window: must be between 10s and 15m (the figures kept), was " + window + " ms");
        }
        long reaction = millis(ctx.request().getParam("reaction_time"), "reaction_time", (long)
                (CapacityPolicy.DEFAULT_REACTION_SECONDS * 1000));
        if (reaction > 3_600_000) {
            throw ServingException.invalid("reaction_time: must be at most 1h");
        }
        double share = number(ctx.request().getParam("extra_traffic_share"), "extra_traffic_share", 0);
        if (!(share >= 0 && share <= 10)) {
            throw ServingException.invalid("extra_traffic_share: must be in [0, 10], was " + share);
        }
        try {
            return new Params(new CapacityPolicy(u, reaction / 1000.0), window, share);
        } catch (IllegalArgumentException e) {
            throw ServingException.invalid(e.getMessage());
        }
    }

    private Future<JsonObject> advise(Params p) {
        return Future.fromCompletionStage(link.cluster().catalog().all(), vertx.getOrCreateContext())
                .compose(catalog -> signals.p99(p.windowMillis()).map(p99 -> {
                    List<ModelDemand> demands = demands(p, catalog, p99);
                    List<NodeCapacity> nodes = nodes();
                    CapacityPlan plan = CapacityPlan.compute(demands, nodes, p.policy());
                    return json(p, plan);
                }));
    }

    private List<ModelDemand> demands(Params p, Map<ModelKey, CatalogEntry> catalog, Map<String, Double> p99) {
        Map<String, ModelManager.PlacementSpec> specs = new HashMap<>();
        api.models().placementSpecs().forEach(s -> specs.put(s.model(), s));
        Map<String, int[]> copies = new HashMap<>(); // [READY copies, highest version with a copy]
        link.table().forEach((k, list) -> {
            int[] c = copies.computeIfAbsent(k.model(), x -> new int[2]);
            c[1] = (int) Math.max(c[1], Math.min(Integer.MAX_VALUE, k.version()));
            for (Copy copy : list) {
                if (copy.state() == Copy.State.READY) {
                    c[0]++;
                }
            }
        });
        TreeSet<String> names = new TreeSet<>(api.models().modelNames());
        names.addAll(copies.keySet());
        names.addAll(signals.modelsWithTraffic());
        TrafficShares extra = shares;
        List<ModelDemand> out = new ArrayList<>(names.size());
        for (String name : names) {
            ModelManager.PlacementSpec spec = specs.get(name);
            int[] c = copies.getOrDefault(name, new int[2]);
            long version = spec != null ? spec.version() : c[1] > 0 ? c[1] : newest(catalog, name);
            CatalogEntry entry = catalog.get(ModelKey.of(name, Math.max(1, version)));
            long bytes = entry != null && entry.footprintBytes() > 0
                    ? entry.footprintBytes()
                    : spec != null ? spec.predictedBytes() : 0;
            OptionalDouble load = entry != null && entry.isMeasured()
                    ? OptionalDouble.of(entry.meanLoadMillis() / 1000.0)
                    : OptionalDouble.empty();
            Double latency = p99.get(name);
            boolean pinned = (spec != null && spec.pinned()) || operators.pinned(name);
            int floor = Math.max(spec == null ? 0 : spec.minCopies(), pinned ? 1 : 0);
            double share = extra.extraShare(name).orElse(p.extraTrafficShare());
            out.add(new ModelDemand(
                    name,
                    signals.peakQps(name, p.windowMillis()),
                    signals.currentQps(name),
                    latency == null ? OptionalDouble.empty() : OptionalDouble.of(latency),
                    load,
                    Math.max(0, bytes),
                    c[0],
                    floor,
                    Math.max(0, share)));
        }
        return out;
    }

    private static long newest(Map<ModelKey, CatalogEntry> catalog, String name) {
        long v = 0;
        for (ModelKey k : catalog.keySet()) {
            if (k.model().equals(name)) {
                v = Math.max(v, k.version());
            }
        }
        return v;
    }

    private List<NodeCapacity> nodes() {
        List<NodeCapacity> out = new ArrayList<>();
        for (NodeRecord n : link.nodes().values()) {
            long capacity = 0;
            long used = 0;
            long largest = 0;
            for (DeviceRecord d : n.devices()) {
                capacity += d.capacityBytes();
                used += d.usedBytes() + d.reservedBytes();
                largest = Math.max(largest, d.capacityBytes());
            }
            out.add(new NodeCapacity(n.nodeId(), capacity, used, largest, n.draining()));
        }
        return out;
    }

    private JsonObject json(Params p, CapacityPlan plan) {
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
                .put("target_utilization", p.policy().targetUtilization())
                .put("window_seconds", p.windowMillis() / 1000.0)
                .put("reaction_time_seconds", p.policy().reactionSeconds())
                .put("extra_traffic_share", p.extraTrafficShare());
        return new JsonObject()
                .put("node", link.nodeId())
                .put("generated_at_ms", System.currentTimeMillis())
                .put("parameters", params)
                .put("window_covered_seconds", signals.coveredMillis(p.windowMillis()) / 1000.0)
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
            throw ServingException.invalid(name + ": must be a number");
        }
    }

    /** {@code 90s}, {@code 15m}, {@code 500ms}, {@code 1h}; a bare number is seconds. */
    static long millis(String v, String name, long dflt) {
        if (v == null || v.isBlank()) {
            return dflt;
        }
        Matcher m = DURATION.matcher(v.trim());
        if (!m.matches()) {
            throw ServingException.invalid(name + ": must be a duration such as 90s, 15m or 500ms");
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
