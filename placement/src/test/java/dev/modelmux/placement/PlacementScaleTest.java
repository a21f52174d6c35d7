package dev.modelmux.placement;

import static dev.modelmux.placement.Fixtures.GIB;
import static dev.modelmux.placement.Fixtures.MIB;
import static dev.modelmux.placement.Fixtures.SECOND;
import static dev.modelmux.placement.Fixtures.assertBudgetsHold;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Decisions over a cluster of 500 nodes × 4 devices and 5,000 models, seeded. No timing is
 * asserted; surefire's per-test time shows what it costs.
 */
class PlacementScaleTest {
    private static final int NODES = 500;
    private static final int DEVICES = 4;
    private static final int MODELS = 5_000;
    private static final long NOW = 24 * 3_600 * SECOND;

    private final Map<ModelKey, ModelSpec> specs = new HashMap<>();
    private final long[][] used = new long[NODES][DEVICES];
    private final List<CopyView> copies = new ArrayList<>();
    private final SplittableRandom random = new SplittableRandom(2026);

    @Test
    void rebalanceAfterLosingFiftyNodes() {
        populate(8 * GIB);
        Set<String> lost = new HashSet<>();
        while (lost.size() < 50) {
            lost.add(nodeId(random.nextInt(NODES)));
        }
        ClusterView view = ClusterView.of(nodes(8 * GIB, lost), copies);

        RebalanceDecision d = Rebalancer.defaults().rebalance(view, specs, Set.of(), NOW);

        assertThat(view.lostCopies()).hasSizeGreaterThan(500);
        var active = new HashMap<ModelKey, Integer>();
        for (CopyView c : view.copies()) {
            if (!lost.contains(c.nodeId())) {
                active.merge(c.key(), 1, Integer::sum);
            }
        }
        Set<ModelKey> lostModels = new HashSet<>();
        view.lostCopies().forEach(c -> lostModels.add(c.key()));
        int floorsHit = 0;
        for (Action.Load l : Fixtures.loads(d.actions())) {
            assertThat(lost).doesNotContain(l.target().nodeId());
            assertThat(specs.get(l.key()).floorCopies())
                    .as("only floors are re-placed")
                    .isPositive();
            assertThat(l.reason()).isEqualTo(Action.Reason.REPLACE_LOST);
            active.merge(l.key(), 1, Integer::sum);
        }
        for (ModelKey k : lostModels) {
            int floor = specs.get(k).floorCopies();
            int unplaced = (int) d.unplaced().stream().filter(k::equals).count();
            if (floor > 0) {
                floorsHit++;
                assertThat(active.getOrDefault(k, 0) + unplaced)
                        .as("copies of %s", k)
                        .isGreaterThanOrEqualTo(floor);
            }
        }
        assertThat(floorsHit).isGreaterThan(100);
        assertThat(d.unplaced()).isEmpty();
        assertBudgetsHold(view, d.actions(), specs);
    }

    @Test
    void scalerPassOverTheWholeCluster() {
        populate(8 * GIB);
        // A fifth of the models get busy enough for three copies each.
        var busy = new ArrayList<CopyView>(copies.size());
        for (CopyView c : copies) {
            busy.add(c.key().name().hashCode() % 5 == 0 ? Fixtures.rate(c, 80) : c);
        }
        ClusterView view = ClusterView.of(nodes(8 * GIB, Set.of()), busy);

        ScaleDecision d = CopyScaler.defaults().scale(view, specs, NOW);

        assertThat(Fixtures.loads(d.actions())).hasSizeGreaterThan(1_000);
        assertBudgetsHold(view, d.actions(), specs);
    }

    @Test
    void evictionPlansOnAFullCluster() {
        populate(3 * GIB); // small devices: most are too full to take another model as is
        ClusterView view = ClusterView.of(nodes(3 * GIB, Set.of()), copies);
        DevicePicker picker = DevicePicker.defaults();

        int planned = 0;
        int evicting = 0;
        for (int i = 0; i < 200; i++) {
            ModelSpec newcomer = ModelSpec.of(ModelKey.of("new-" + i, 1), 2 * GIB + i * MIB);
            var plan = picker.plan(view, newcomer, specs, NOW);
            if (plan.isPresent()) {
                planned++;
                evicting += plan.get().fitsAsIs() ? 0 : 1;
                long free = view.device(plan.get().target()).orElseThrow().freeBytes();
                assertThat(free + plan.get().eviction().freedBytes())
                        .isGreaterThanOrEqualTo(plan.get().requiredBytes());
            }
        }
        assertThat(planned).isEqualTo(200);
        assertThat(evicting).isPositive();
    }

    /** Catalog of 5,000 models and their copies on random devices with room, spread over nodes. */
    private void populate(long deviceBytes) {
        for (int i = 0; i < MODELS; i++) {
            ModelKey key = ModelKey.of("model-" + i, 1);
            long bytes = random.nextLong(100 * MIB, 2 * GIB);
            int kind = random.nextInt(10);
            ModelSpec spec = ModelSpec.of(key, bytes)
                    .withMeasured(bytes, random.nextLong(SECOND / 10, 30 * SECOND))
                    .withPinned(kind == 0)
                    .withMinCopies(kind <= 2 ? 2 : 0);
            specs.put(key, spec);
            int wanted = kind <= 2 ? 2 : random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(2);
            var nodesUsed = new HashSet<Integer>();
            for (int tries = 0; nodesUsed.size() < wanted && tries < 50; tries++) {
                int n = random.nextInt(NODES);
                int d = random.nextInt(DEVICES);
                if (!nodesUsed.contains(n) && used[n][d] + bytes <= deviceBytes) {
                    nodesUsed.add(n);
                    used[n][d] += bytes;
                    long loaded = random.nextLong(NOW - 3_600 * SECOND);
                    long last = loaded + random.nextLong(NOW - loaded);
                    copies.add(new CopyView(
                            key,
                            nodeId(n),
                            "g" + d,
                            CopyState.READY,
                            bytes,
                            0,
                            loaded,
                            last,
                            0,
                            random.nextInt(1_000)));
                }
            }
        }
    }

    private List<NodeView> nodes(long deviceBytes, Set<String> lost) {
        var list = new ArrayList<NodeView>();
        for (int n = 0; n < NODES; n++) {
            if (lost.contains(nodeId(n))) {
                continue;
            }
            var devices = new ArrayList<DeviceView>();
            for (int d = 0; d < DEVICES; d++) {
                devices.add(new DeviceView("g" + d, "CUDA", deviceBytes, used[n][d], 0, random.nextInt(4)));
            }
            list.add(new NodeView(nodeId(n), false, devices));
        }
        return list;
    }

    private static String nodeId(int n) {
        return String.format("node-%03d", n);
    }
}
