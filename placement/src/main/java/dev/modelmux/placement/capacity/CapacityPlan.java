package dev.modelmux.placement.capacity;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Capacity advice for a mesh: one {@link ModelAdvice} per model and a {@link ClusterAdvice}.
 *
 * <p>Per model, with {@code u} the target utilization and {@code s} the extra traffic share:
 * <pre>
 * base     = 0                                                  without traffic (peak 0)
 *          = max(1, ceil(peak_qps × (1 + s) × p99_seconds / u)) with traffic (1 if no latency was measured)
 * load     = 1 if base ≥ 1 and load_seconds ≥ reaction_seconds, else 0
 * failover = the fewest extra copies k such that, spread evenly over the n nodes that are not
 *            draining, losing the node with the most of them leaves base + load:
 *            min k with (base + load + k) − ceil((base + load + k) / n) ≥ base + load;
 *            1 when n ≤ 1 (the copy goes on a node to add); 0 when base + load = 0
 * required = max(floor, base + load + failover)
 * status   = under_provisioned if current &lt; required; over_provisioned if current &gt; max(required, 1)
 *            (one warm copy of an idle model is the mesh's cache, not waste); else ok
 * </pre>
 * {@code peak_qps × p99} is Little's law: the copies busy at once at the peak, counting a copy busy
 * for its slowest requests' time; dividing by {@code u} leaves {@code 1 − u} of each copy free for bursts.
 *
 * <p>For the mesh: {@code required_bytes = Σ required × bytes_per_copy}, {@code per_node =
 * capacity of the nodes that are not draining / their number}, {@code nodes_needed =
 * ceil(required_bytes / per_node) + 1} (the one for failover); under-provisioned when more nodes are
 * needed than there are, over-provisioned when fewer.
 */
public record CapacityPlan(List<ModelAdvice> models, ClusterAdvice cluster) {
    private static final double EPSILON = 1e-9;

    public CapacityPlan {
        models = List.copyOf(models);
        Objects.requireNonNull(cluster, "cluster");
    }

    /** The advice for {@code demands} (in their order) on {@code nodes} under {@code policy}. */
    public static CapacityPlan compute(List<ModelDemand> demands, List<NodeCapacity> nodes, CapacityPolicy policy) {
        List<NodeCapacity> serving = nodes.stream().filter(n -> !n.draining()).toList();
        int n = serving.size();
        long largestDevice = serving.stream()
                .mapToLong(NodeCapacity::largestDeviceBytes)
                .max()
                .orElse(0);
        List<ModelAdvice> out = new ArrayList<>(demands.size());
        List<String> under = new ArrayList<>();
        List<String> over = new ArrayList<>();
        long requiredBytes = 0;
        for (ModelDemand d : demands) {
            ModelAdvice a = advise(d, n, largestDevice, policy);
            out.add(a);
            requiredBytes = saturatedAdd(requiredBytes, a.requiredBytes());
            if (a.status() == ModelAdvice.Status.UNDER_PROVISIONED) {
                under.add(a.model());
            } else if (a.status() == ModelAdvice.Status.OVER_PROVISIONED) {
                over.add(a.model());
            }
        }
        long capacity = serving.stream().mapToLong(NodeCapacity::capacityBytes).reduce(0, CapacityPlan::saturatedAdd);
        long used = serving.stream().mapToLong(NodeCapacity::usedBytes).reduce(0, CapacityPlan::saturatedAdd);
        List<NodeCapacity> basis = n > 0 ? serving : nodes;
        long perNode = basis.isEmpty()
                ? 0
                : basis.stream().mapToLong(NodeCapacity::capacityBytes).reduce(0, CapacityPlan::saturatedAdd)
                        / basis.size();
        int nodesNeeded = perNode > 0
                ? (int) Math.min(Integer.MAX_VALUE - 1, (long) Math.ceil((double) requiredBytes / perNode)) + 1
                : 1;
        ModelAdvice.Status status = nodesNeeded > n || requiredBytes > capacity
                ? ModelAdvice.Status.UNDER_PROVISIONED
                : nodesNeeded < n ? ModelAdvice.Status.OVER_PROVISIONED : ModelAdvice.Status.OK;
        return new CapacityPlan(
                out, new ClusterAdvice(n, capacity, used, requiredBytes, perNode, nodesNeeded, status, under, over));
    }

    private static ModelAdvice advise(ModelDemand d, int nodes, long largestDevice, CapacityPolicy policy) {
        String note = "";
        double demand = d.peakQps() * (1 + d.extraTrafficShare());
        int base;
        if (demand <= 0) {
            base = 0;
        } else if (d.p99Seconds().isEmpty()) {
            base = 1;
            note = "no latency measured in the window: one copy assumed for the traffic";
        } else {
            double copies = demand * d.p99Seconds().getAsDouble() / policy.targetUtilization();
            base = (int) Math.max(1, Math.min(1_000_000, Math.ceil(copies - EPSILON)));
        }
        int load = base >= 1 && d.loadSeconds().isPresent() && d.loadSeconds().getAsDouble() >= policy.reactionSeconds()
                ? 1
                : 0;
        int failover = failover(base + load, nodes);
        int required = Math.max(d.floorCopies(), base + load + failover);
        long requiredBytes = saturatedMultiply(d.bytesPerCopy(), required);
        ModelAdvice.Status status = d.currentCopies() < required
                ? ModelAdvice.Status.UNDER_PROVISIONED
                : d.currentCopies() > Math.max(required, 1)
                        ? ModelAdvice.Status.OVER_PROVISIONED
                        : ModelAdvice.Status.OK;
        return new ModelAdvice(
                d.model(),
                d.peakQps(),
                d.currentQps(),
                d.p99Seconds(),
                d.loadSeconds(),
                d.extraTrafficShare(),
                base,
                load,
                failover,
                d.floorCopies(),
                required,
                d.currentCopies(),
                d.bytesPerCopy(),
                requiredBytes,
                d.bytesPerCopy() <= largestDevice,
                status,
                note);
    }

    /** Extra copies so that losing the node holding most of {@code need + k} evenly spread copies leaves {@code need}. */
    static int failover(int need, int nodes) {
        if (need <= 0) {
            return 0;
        }
        if (nodes <= 1) {
            return 1;
        }
        int k = 1;
        while ((need + k) - ceilDiv(need + k, nodes) < need) {
            k++;
        }
        return k;
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    private static long saturatedMultiply(long a, int b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        return (hi == 0 && lo >= 0) ? lo : Long.MAX_VALUE;
    }
}
