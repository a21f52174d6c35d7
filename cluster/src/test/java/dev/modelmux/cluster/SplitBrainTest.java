package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.Copy.State;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two clusters of one name that find each other later (the two sides of a healed partition, or two
 * nodes that started at once) merge; the placement table keeps both sides' copies.
 */
class SplitBrainTest {

    private final TestMembers members = new TestMembers();
    private final List<MeshCluster> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        started.forEach(TestMembers::terminate);
        members.close();
    }

    @Test
    void twoSidesMergeAndTheTableKeepsBothSidesCopies() throws IOException {
        int yPort = freePort();
        // x lists y, which is not up yet: x forms a cluster alone. y lists nobody: another one.
        MeshCluster x = join(members.config("x").withPeers(List.of("127.0.0.1:" + yPort)));
        MeshCluster y = join(members.config("y").withPort(yPort));
        assertThat(x.members()).containsExactly("x");
        assertThat(y.members()).containsExactly("y");
        List<MemberEvent> events = new CopyOnWriteArrayList<>();
        x.onMembership(events::add);
        y.onMembership(events::add);

        ModelKey key = ModelKey.of("both-sides", 1);
        for (MeshCluster side : List.of(x, y)) {
            side.nodes()
                    .publish(new NodeRecord(side.localNodeId(), "127.0.0.1", 1, List.of(), false, 1))
                    .join();
            side.placements().claimLoad(key, side.localNodeId(), "gpu0", 10).join();
            side.placements().markReady(key, side.localNodeId(), "gpu0", 10).join();
        }

        await().atMost(TestMembers.PATIENCE).untilAsserted(() -> {
            assertThat(x.members()).containsExactly("x", "y");
            assertThat(y.members()).containsExactly("x", "y");
            assertThat(events).anyMatch(e -> e instanceof MemberEvent.Merged);
        });
        await().atMost(TestMembers.PATIENCE).untilAsserted(() -> {
            for (MeshCluster side : List.of(x, y)) {
                assertThat(side.placements().copies(key).join())
                        .extracting(Copy::nodeId, Copy::state)
                        .containsExactly(tuple("x", State.READY), tuple("y", State.READY));
                assertThat(side.nodes().all().join()).containsOnlyKeys("x", "y");
            }
        });
    }

    private MeshCluster join(ClusterConfig config) {
        MeshCluster m = MeshCluster.join(config, members.executor).join();
        started.add(m);
        return m;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
