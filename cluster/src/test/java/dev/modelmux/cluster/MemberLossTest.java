package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.Copy.State;
import dev.modelmux.cluster.internal.HazelcastMeshCluster;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Members leaving, crashing and coming back. Fresh members per test: each test removes one. */
class MemberLossTest {

    private static final ModelKey EVERYWHERE = ModelKey.of("everywhere", 1);
    private static final ModelKey ONLY_ON_B = ModelKey.of("only-on-b", 1);

    private TestMembers members;
    private MeshCluster a;
    private MeshCluster b;
    private MeshCluster c;
    private final List<MemberEvent> seenByA = new CopyOnWriteArrayList<>();
    private final List<MemberEvent> seenByC = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        members = new TestMembers();
        a = members.start("a");
        b = members.start("b", a);
        c = members.start("c", a);
        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(() ->
                        List.of(a, b, c).forEach(m -> assertThat(m.members()).hasSize(3)));
        a.onMembership(seenByA::add);
        c.onMembership(seenByC::add);
        for (MeshCluster m : List.of(a, b, c)) {
            m.nodes().publish(record(m.localNodeId(), 1)).join();
            holdReady(m, EVERYWHERE, "gpu0");
        }
        holdReady(b, ONLY_ON_B, "gpu1");
        // A member killed while partitions still migrate can take entries whose backups are not yet in
        // sync with it (a running node republishes its state every second, these members do not): wait
        // until every partition's backups are in sync, as a rolling restart waits for a safe cluster.
        await().atMost(TestMembers.PATIENCE)
                .until(() -> List.of(a, b, c).stream()
                        .allMatch(m ->
                                TestMembers.hazelcast(m).getPartitionService().isClusterSafe()));
    }

    @AfterEach
    void stop() throws InterruptedException {
        members.close();
    }

    @Test
    void aMemberThatLeavesGracefullyIsRemovedWithItsRecordAndCopies() {
        b.close().join();

        assertSurvivorsForgotB();
    }

    @Test
    void aMemberThatIsTerminatedAbruptlyIsRemovedWithItsRecordAndCopies() {
        TestMembers.terminate(b);

        assertSurvivorsForgotB();
    }

    @Test
    void aRestartedMemberWithTheSameIdRejoinsAndRepublishes() {
        TestMembers.terminate(b);
        assertSurvivorsForgotB();
        seenByA.clear();

        MeshCluster b2 = members.start("b", c);
        b2.nodes().publish(record("b", 2)).join();
        b2.placements().reassert("b", Map.of(), System.currentTimeMillis()).join();
        holdReady(b2, ONLY_ON_B, "gpu1");

        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(() -> assertThat(seenByA).contains(new MemberEvent.Joined("b")));
        assertThat(a.members()).containsExactly("a", "b", "c");
        assertThat(a.nodes().get("b").join()).contains(record("b", 2));
        assertThat(a.placements().copies(ONLY_ON_B).join())
                .singleElement()
                .extracting(Copy::nodeId, Copy::state)
                .containsExactly("b", State.READY);
    }

    @Test
    void aQuickRestartKeepsItsRecordAndItsReportRebuildsItsCopies() {
        TestMembers.terminate(b);
        // No wait: the new run may join before or after the survivors notice the old one is gone.
        MeshCluster b2 = members.start("b", c);
        b2.nodes().publish(record("b", 2)).join();
        b2.placements().reassert("b", Map.of(), System.currentTimeMillis()).join();
        holdReady(b2, ONLY_ON_B, "gpu1");

        // Both survivors clean up after the old run; each cleanup is registered before its Left event.
        await().atMost(TestMembers.PATIENCE).untilAsserted(() -> {
            assertThat(seenByA).contains(new MemberEvent.Left("b"));
            assertThat(seenByC).contains(new MemberEvent.Left("b"));
            assertThat(TestMembers.hazelcast(a).getCluster().getMembers()).hasSize(3);
            assertThat(TestMembers.hazelcast(c).getCluster().getMembers()).hasSize(3);
        });
        ((HazelcastMeshCluster) a).cleanupsDone().join();
        ((HazelcastMeshCluster) c).cleanupsDone().join();
        // The record carries the new run's member id, so the cleanup for the old run keeps it, even
        // where the survivor saw the old run leave before the new one join.
        assertThat(a.nodes().get("b").join()).contains(record("b", 2));

        // A cleanup that started before the new run joined may still have dropped the new claim;
        // the node's periodic report puts back what it holds.
        long now = System.currentTimeMillis();
        b2.placements()
                .reassert("b", Map.of(ONLY_ON_B, List.of(Copy.ready("b", "gpu1", 10, now, 0, now))), now)
                .join();
        assertThat(a.placements().copies(EVERYWHERE).join())
                .extracting(Copy::nodeId)
                .containsExactly("a", "c");
        assertThat(a.placements().copies(ONLY_ON_B).join())
                .singleElement()
                .extracting(Copy::nodeId, Copy::state)
                .containsExactly("b", State.READY);
    }

    private void assertSurvivorsForgotB() {
        await().atMost(TestMembers.PATIENCE).untilAsserted(() -> {
            assertThat(seenByA).contains(new MemberEvent.Left("b"));
            assertThat(seenByC).contains(new MemberEvent.Left("b"));
        });
        assertThat(a.members()).containsExactly("a", "c");
        assertThat(c.members()).containsExactly("a", "c");
        // Both survivors clean up; one's cleanup may empty the shared maps while the other's still runs.
        ((HazelcastMeshCluster) a).cleanupsDone().join();
        ((HazelcastMeshCluster) c).cleanupsDone().join();
        for (MeshCluster survivor : List.of(a, c)) {
            await().atMost(TestMembers.PATIENCE).untilAsserted(() -> {
                assertThat(survivor.nodes().all().join()).containsOnlyKeys("a", "c");
                assertThat(survivor.placements().copies(EVERYWHERE).join())
                        .extracting(Copy::nodeId)
                        .containsExactly("a", "c");
                assertThat(survivor.placements().copies(ONLY_ON_B).join()).isEmpty();
            });
        }
    }

    private static void holdReady(MeshCluster node, ModelKey key, String device) {
        assertThat(node.placements()
                        .claimLoad(key, node.localNodeId(), device, 10)
                        .join())
                .isTrue();
        assertThat(node.placements()
                        .markReady(key, node.localNodeId(), device, 10)
                        .join())
                .isTrue();
    }

    private static NodeRecord record(String nodeId, long at) {
        return new NodeRecord(nodeId, "127.0.0.1", 50051, List.of(), false, at);
    }
}
