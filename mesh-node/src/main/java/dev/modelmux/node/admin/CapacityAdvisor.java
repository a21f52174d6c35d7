package dev.modelmux.node.admin;

import dev.modelmux.admin.CapacitySource;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.mesh.CapacitySignals;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Operators;
import dev.modelmux.node.metrics.ModelStats;
import dev.modelmux.placement.capacity.CapacityPlan;
import dev.modelmux.placement.capacity.ModelDemand;
import dev.modelmux.placement.capacity.NodeCapacity;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;

/**
 * Capacity advice from live figures ({@code GET /api/v1/capacity}): each model's demand (peak and
 * current rate and p99 from {@link CapacitySignals}, load time and footprint from the shared
 * catalog, copies from the placement table, its floor from its config and pins) and each node's
 * memory, handed to {@link CapacityPlan#compute}. Canary and shadow shares come from the {@link
 * TrafficShares} hook where endpoints know them, else from the query.
 */
public final class CapacityAdvisor implements CapacitySource {
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
    private final ClusterLink link;
    private final ModelManager models;
    private final Operators operators;
    private final CapacitySignals signals;
    private volatile TrafficShares shares = TrafficShares.none();

    public CapacityAdvisor(
            Vertx vertx, ClusterLink link, ModelManager models, Operators operators, CapacitySignals signals) {
        this.vertx = vertx;
        this.link = link;
        this.models = models;
        this.operators = operators;
        this.signals = signals;
    }

    /** An advisor over this node's runtime latencies ({@code compute}) and the mesh {@code link} joins. */
    public static CapacityAdvisor create(
            Vertx vertx, ClusterLink link, ModelManager models, Operators operators, ModelStats compute) {
        CapacitySignals signals =
                new CapacitySignals(vertx, link, compute, System::nanoTime, System::currentTimeMillis);
        return new CapacityAdvisor(vertx, link, models, operators, signals);
    }

    /** Installs the source of canary and shadow shares (endpoints); the query parameter covers the rest. */
    public void trafficShares(TrafficShares shares) {
        this.shares = shares == null ? TrafficShares.none() : shares;
    }

    /** Starts sampling the figures. */
    public void start() {
        signals.start();
    }

    public void stop() {
        signals.stop();
    }

    @Override
    public long retentionMillis() {
        return CapacitySignals.RETENTION_MILLIS;
    }

    @Override
    public Future<CapacityReport> advise(CapacityQuery q) {
        return Future.fromCompletionStage(link.cluster().catalog().all(), vertx.getOrCreateContext())
                .compose(catalog -> signals.p99(q.windowMillis()).map(p99 -> {
                    CapacityPlan plan = CapacityPlan.compute(demands(q, catalog, p99), nodes(), q.policy());
                    return new CapacityReport(link.nodeId(), plan, signals.coveredMillis(q.windowMillis()));
                }));
    }

    private List<ModelDemand> demands(CapacityQuery q, Map<ModelKey, CatalogEntry> catalog, Map<String, Double> p99) {
        Map<String, ModelManager.PlacementSpec> specs = new HashMap<>();
        models.placementSpecs().forEach(s -> specs.put(s.model(), s));
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
        TreeSet<String> names = new TreeSet<>(models.modelNames());
        names.addAll(copies.keySet());
        names.addAll(signals.modelsWithTraffic());
        Map<String, Long> newest = new HashMap<>();
        catalog.keySet().forEach(k -> newest.merge(k.model(), k.version(), Math::max));
        TrafficShares extra = shares;
        List<ModelDemand> out = new ArrayList<>(names.size());
        for (String name : names) {
            ModelManager.PlacementSpec spec = specs.get(name);
            int[] c = copies.getOrDefault(name, new int[2]);
            long version = spec != null ? spec.version() : c[1] > 0 ? c[1] : newest.getOrDefault(name, 0L);
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
            double share = extra.extraShare(name).orElse(q.extraTrafficShare());
            out.add(new ModelDemand(
                    name,
                    signals.peakQps(name, q.windowMillis()),
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
}
