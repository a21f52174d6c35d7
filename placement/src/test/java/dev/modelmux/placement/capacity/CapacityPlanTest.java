package dev.modelmux.placement.capacity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.placement.capacity.ModelAdvice.Status;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class CapacityPlanTest {
    private static final long MIB = 1L << 20;
    private static final long GIB = 1L << 30;
    private static final List<NodeCapacity> THREE = List.of(node("a", 8 * GIB), node("b", 8 * GIB), node("c", 8 * GIB));

    @Test
    void copiesFollowLittlesLawAtTheTargetUtilizationPlusFailover() {
        // 200 req/s × 0.015 s = 3 busy copies; at 60% that is 5; 8 copies on three nodes (3, 3, 2) leave 5 after losing
        // one.
        ModelDemand busy = ModelDemand.idle("busy", 100 * MIB)
                .withTraffic(200, 150)
                .withP99(0.015)
                .withCopies(3, 0);
        ModelAdvice a =
                plan(List.of(busy), THREE, CapacityPolicy.defaults()).models().get(0);
        assertThat(a.baseCopies()).isEqualTo(5);
        assertThat(a.loadHeadroom()).isZero();
        assertThat(a.failoverHeadroom()).isEqualTo(3);
        assertThat(a.requiredCopies()).isEqualTo(8);
        assertThat(a.requiredBytes()).isEqualTo(800 * MIB);
        assertThat(a.status()).isEqualTo(Status.UNDER_PROVISIONED);
        assertThat(a.fitsOnADevice()).isTrue();
        assertThat(a.note()).isEmpty();

        // At full utilization: exactly 3 busy copies (no rounding up of 200 × 0.015 = 3.0000000000000004), plus
        // failover.
        ModelAdvice full = plan(List.of(busy), THREE, CapacityPolicy.defaults().withTargetUtilization(1))
                .models()
                .get(0);
        assertThat(full.baseCopies()).isEqualTo(3);
        assertThat(full.requiredCopies()).isEqualTo(5);
    }

    @Test
    void failoverHeadroomSpreadsCopiesSoLosingTheBusiestNodeLeavesEnough() {
        assertThat(CapacityPlan.failover(0, 3)).isZero();
        assertThat(CapacityPlan.failover(1, 1)).isEqualTo(1); // the spare goes on a node to add
        assertThat(CapacityPlan.failover(1, 2)).isEqualTo(1);
        assertThat(CapacityPlan.failover(2, 3)).isEqualTo(1); // one copy per node
        assertThat(CapacityPlan.failover(3, 3)).isEqualTo(2); // 5 copies on 3 nodes: at most 2 on one
        assertThat(CapacityPlan.failover(4, 2)).isEqualTo(4); // 8 on 2 nodes: losing one loses half
        assertThat(CapacityPlan.failover(10, 11)).isEqualTo(1);
        for (int need = 1; need < 50; need++) {
            for (int nodes = 2; nodes < 12; nodes++) {
                int k = CapacityPlan.failover(need, nodes);
                int total = need + k;
                int lostWithBusiest = (total + nodes - 1) / nodes;
                assertThat(total - lostWithBusiest)
                        .as("need %d on %d nodes", need, nodes)
                        .isGreaterThanOrEqualTo(need);
                int fewer = total - 1;
                assertThat(fewer - (fewer + nodes - 1) / nodes)
                        .as("k %d is the least", k)
                        .isLessThan(need);
            }
        }
    }

    @Test
    void aSlowLoadingModelGetsASpareCopyAndCanaryTrafficCounts() {
        ModelDemand slow = ModelDemand.idle("slow", 90 * MIB)
                .withTraffic(10, 10)
                .withP99(0.05)
                .withCopies(2, 0);
        CapacityPolicy policy = CapacityPolicy.defaults().withReactionSeconds(5);
        ModelAdvice fast =
                plan(List.of(slow.withLoadSeconds(1.3)), THREE, policy).models().get(0);
        ModelAdvice slowLoad =
                plan(List.of(slow.withLoadSeconds(5)), THREE, policy).models().get(0);
        assertThat(fast.baseCopies()).isEqualTo(1); // 10 × 0.05 / 0.6 = 0.83
        assertThat(fast.loadHeadroom()).isZero();
        assertThat(fast.requiredCopies()).isEqualTo(2);
        assertThat(fast.status()).isEqualTo(Status.OK);
        assertThat(slowLoad.loadHeadroom()).isEqualTo(1);
        assertThat(slowLoad.requiredCopies()).isEqualTo(3); // 1 + 1 spare + 1 for failover
        assertThat(slowLoad.status()).isEqualTo(Status.UNDER_PROVISIONED);

        // A canary and a shadow taking another 50% of the traffic: 15 × 0.05 / 0.6 = 1.25 → 2.
        ModelAdvice canary = plan(List.of(slow.withExtraTrafficShare(0.5)), THREE, policy)
                .models()
                .get(0);
        assertThat(canary.baseCopies()).isEqualTo(2);
        assertThat(canary.extraTrafficShare()).isEqualTo(0.5);
    }

    @Test
    void idleModelsNeedNoCopiesButKeepOneWarmAndTheirFloor() {
        ModelDemand twoIdle = ModelDemand.idle("two-idle", 10 * MIB).withCopies(2, 0);
        ModelDemand oneIdle = ModelDemand.idle("one-idle", 10 * MIB).withCopies(1, 0);
        ModelDemand pinned = ModelDemand.idle("pinned", 10 * MIB).withCopies(0, 1);
        ModelDemand noLatency =
                ModelDemand.idle("unmeasured", 10 * MIB).withTraffic(3, 0).withCopies(1, 0);
        CapacityPlan p = plan(List.of(twoIdle, oneIdle, pinned, noLatency), THREE, CapacityPolicy.defaults());
        assertThat(p.models()).extracting(ModelAdvice::requiredCopies).containsExactly(0, 0, 1, 2);
        assertThat(p.models())
                .extracting(ModelAdvice::status)
                .containsExactly(
                        Status.OVER_PROVISIONED, Status.OK, Status.UNDER_PROVISIONED, Status.UNDER_PROVISIONED);
        assertThat(p.models().get(3).note()).contains("no latency");
        assertThat(p.models().get(3).baseCopies()).isEqualTo(1);
        assertThat(p.cluster().overProvisioned()).containsExactly("two-idle");
        assertThat(p.cluster().underProvisioned()).containsExactly("pinned", "unmeasured");
    }

    @Test
    void theClusterNeedsTheMemoryOfEveryRequiredCopyPlusOneNode() {
        List<NodeCapacity> nodes = List.of(
                new NodeCapacity("a", 4 * GIB, GIB, 4 * GIB, false),
                new NodeCapacity("b", 4 * GIB, GIB, 4 * GIB, false),
                new NodeCapacity("leaving", 4 * GIB, GIB, 4 * GIB, true));
        // 5 busy copies of 1 GiB (10 with failover on two nodes) and 2 of 512 MiB: 11 GiB; nodes of 4 GiB: 3 + 1 for
        // failover.
        ModelDemand big =
                ModelDemand.idle("big", GIB).withTraffic(100, 80).withP99(0.03).withCopies(2, 0);
        ModelDemand small = ModelDemand.idle("small", 512 * MIB)
                .withTraffic(1, 1)
                .withP99(0.01)
                .withCopies(2, 0);
        ModelDemand huge = ModelDemand.idle("huge", 5 * GIB);
        CapacityPlan p = plan(List.of(big, small, huge), nodes, CapacityPolicy.defaults());
        assertThat(p.models().get(0).requiredCopies()).isEqualTo(5 + 5); // 5 busy; 10 on 2 nodes survives losing 5
        assertThat(p.models().get(1).requiredCopies()).isEqualTo(2);
        assertThat(p.models().get(2).fitsOnADevice()).isFalse();
        ClusterAdvice c = p.cluster();
        assertThat(c.nodes()).isEqualTo(2);
        assertThat(c.capacityBytes()).isEqualTo(8 * GIB);
        assertThat(c.usedBytes()).isEqualTo(2 * GIB);
        assertThat(c.requiredBytes()).isEqualTo(10 * GIB + GIB);
        assertThat(c.perNodeCapacityBytes()).isEqualTo(4 * GIB);
        assertThat(c.nodesNeeded()).isEqualTo(3 + 1);
        assertThat(c.status()).isEqualTo(Status.UNDER_PROVISIONED);

        CapacityPlan quiet =
                plan(List.of(ModelDemand.idle("m", MIB).withCopies(1, 0)), nodes, CapacityPolicy.defaults());
        assertThat(quiet.cluster().nodesNeeded()).isEqualTo(1);
        assertThat(quiet.cluster().status()).isEqualTo(Status.OVER_PROVISIONED);
    }

    @Test
    void sizesStayLongsPastTheIntRange() {
        ModelDemand d = ModelDemand.idle("m", 40 * GIB)
                .withTraffic(1000, 1000)
                .withP99(0.5)
                .withCopies(0, 0);
        CapacityPlan p = plan(List.of(d), List.of(node("a", 80 * GIB), node("b", 80 * GIB)), CapacityPolicy.defaults());
        assertThat(p.models().get(0).requiredCopies()).isEqualTo(834 + 834);
        assertThat(p.models().get(0).requiredBytes()).isEqualTo(1668 * 40 * GIB);
        assertThat(p.cluster().nodesNeeded()).isEqualTo(834 + 1);
        ModelDemand absurd = ModelDemand.idle("absurd", Long.MAX_VALUE / 2).withCopies(0, 3);
        assertThat(plan(List.of(absurd), List.of(node("a", GIB)), CapacityPolicy.defaults())
                        .models()
                        .get(0)
                        .requiredBytes())
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void badInputsNameWhatIsWrong() {
        assertThatThrownBy(() -> new CapacityPolicy(0, 5)).hasMessageContaining("target_utilization");
        assertThatThrownBy(() -> new CapacityPolicy(1.5, 5)).hasMessageContaining("target_utilization");
        assertThatThrownBy(() -> new CapacityPolicy(0.5, -1)).hasMessageContaining("reaction_time");
        assertThatThrownBy(() -> ModelDemand.idle("m", 1).withTraffic(-1, 0)).hasMessageContaining("peak qps");
        assertThatThrownBy(() ->
                        new ModelDemand("m", 1, 1, OptionalDouble.of(Double.NaN), OptionalDouble.empty(), 1, 0, 0, 0))
                .hasMessageContaining("p99");
        assertThatThrownBy(() -> new NodeCapacity("a", GIB, 0, 2 * GIB, false)).hasMessageContaining("largest device");
    }

    private static CapacityPlan plan(List<ModelDemand> demands, List<NodeCapacity> nodes, CapacityPolicy policy) {
        return CapacityPlan.compute(demands, nodes, policy);
    }

    private static NodeCapacity node(String id, long bytes) {
        return new NodeCapacity(id, bytes, 0, bytes, false);
    }
}
