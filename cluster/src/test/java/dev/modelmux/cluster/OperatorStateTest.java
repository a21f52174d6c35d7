package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Operators' settings and the event timeline, written on one member and read on another. */
class OperatorStateTest {

    private static TestMembers members;
    private static MeshCluster a;
    private static MeshCluster b;

    @BeforeAll
    static void start() {
        members = new TestMembers();
        a = members.start("a");
        b = members.start("b", a);
        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(() -> assertThat(b.members()).containsExactly("a", "b"));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        members.close();
    }

    @Test
    void drainAndPinFlagsAreSharedAndReportWhetherTheyChanged() {
        assertThat(a.operators().setDraining("b", true).join()).isTrue();
        assertThat(b.operators().setDraining("b", true).join()).isFalse();
        assertThat(b.operators().draining().join()).containsExactly("b");
        assertThat(b.operators().setDraining("b", false).join()).isTrue();
        assertThat(a.operators().draining().join()).isEmpty();
        assertThat(a.operators().setDraining("b", false).join()).isFalse();

        assertThat(b.operators().setPinned("m", true).join()).isTrue();
        assertThat(a.operators().pinned().join()).containsExactly("m");
        assertThat(a.operators().setPinned("m", false).join()).isTrue();
        assertThat(b.operators().pinned().join()).isEmpty();
    }

    @Test
    void eventsAppendedAnywhereReachEveryFollowerInOrder() {
        List<Sequenced> seenOnB = new CopyOnWriteArrayList<>();
        Subscription sub = b.operators().events().follow(seenOnB::addAll);
        try {
            // The follower starts after the current tail; wait until it is parked before appending.
            await().atMost(TestMembers.PATIENCE).until(() -> {
                a.operators()
                        .events()
                        .append(MeshEvent.node(1, MeshEvent.Kind.JOINED, "probe", "mesh", ""))
                        .join();
                return !seenOnB.isEmpty();
            });
            seenOnB.clear();
            for (int i = 0; i < 20; i++) {
                MeshCluster writer = i % 2 == 0 ? a : b;
                writer.operators()
                        .events()
                        .append(MeshEvent.model(
                                1000 + i,
                                MeshEvent.Kind.LOADED,
                                writer.localNodeId(),
                                "cpu0",
                                "m" + i,
                                1,
                                100,
                                5,
                                "mesh",
                                ""))
                        .join();
            }
            // A probe appended just before the follower reported the first one may still arrive
            // after the clear: only the 20 model events are under test.
            Supplier<List<Sequenced>> models = () -> seenOnB.stream()
                    .filter(s -> s.event().kind() == MeshEvent.Kind.LOADED)
                    .toList();
            await().atMost(TestMembers.PATIENCE).until(() -> models.get().size() >= 20);
            List<Sequenced> seen = models.get();
            assertThat(seen)
                    .extracting(s -> s.event().model())
                    .startsWith("m0", "m1", "m2")
                    .contains("m19");
            for (int i = 1; i < seen.size(); i++) {
                assertThat(seen.get(i).seq()).isEqualTo(seen.get(i - 1).seq() + 1);
            }
            List<Sequenced> recent = a.operators().events().recent(5).join();
            assertThat(recent).extracting(s -> s.event().model()).containsExactly("m15", "m16", "m17", "m18", "m19");
            assertThat(recent.get(4).event())
                    .isEqualTo(seen.get(seen.size() - 1).event());
        } finally {
            sub.cancel().join();
        }
    }

    @Test
    void theTimelineIsBoundedAndKeepsTheNewest() {
        int capacity = a.operators().events().capacity();
        CompletableFuture<?>[] all = new CompletableFuture<?>[capacity + 10];
        for (int i = 0; i < all.length; i++) {
            all[i] = a.operators()
                    .events()
                    .append(MeshEvent.model(
                            i,
                            MeshEvent.Kind.EVICTED,
                            "a",
                            "cpu0",
                            "bulk",
                            i,
                            0,
                            0,
                            "mesh",
                            "x".repeat(MeshEvent.MAX_DETAIL + 10)));
        }
        CompletableFuture.allOf(all).join();
        List<Sequenced> recent = b.operators().events().recent(capacity + 100).join();
        assertThat(recent).hasSize(capacity);
        assertThat(recent.get(recent.size() - 1).event().version()).isEqualTo(all.length - 1);
        assertThat(recent.get(0).event().detail()).hasSize(MeshEvent.MAX_DETAIL);
    }
}
