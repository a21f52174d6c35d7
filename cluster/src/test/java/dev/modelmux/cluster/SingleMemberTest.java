package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.Copy.State;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A node with no peers is a one-member cluster with the full API. One member shared by the class. */
class SingleMemberTest {

    private static final AtomicLong CLOCK = new AtomicLong(1_700_000_000_000L);
    private static TestMembers members;
    private static GateExecutor gate;
    private static MeshCluster solo;

    @BeforeAll
    static void start() {
        members = new TestMembers();
        gate = new GateExecutor(members.executor);
        solo = MeshCluster.join(members.config("solo"), gate, CLOCK::get).join();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        solo.close().join();
        members.close();
    }

    @Test
    void formsAOneMemberCluster() {
        assertThat(solo.localNodeId()).isEqualTo("solo");
        assertThat(solo.members()).containsExactly("solo");
        assertThat(TestMembers.hazelcast(solo).getCluster().getMembers()).hasSize(1);
    }

    @Test
    void publishesItsNodeRecordWithSizesPastTheIntRange() {
        NodeRecord record = new NodeRecord(
                "solo",
                "127.0.0.1",
                50051,
                List.of(
                        new DeviceRecord("cpu0", "cpu", 64L << 30, 5L << 30, 1L << 30, 3),
                        new DeviceRecord("cuda0", "cuda", 141L << 30, 0, 0, 0)),
                false,
                CLOCK.get());

        solo.nodes().publish(record).join();

        assertThat(solo.nodes().get("solo").join()).contains(record);
        assertThat(solo.nodes().all().join()).containsExactly(Map.entry("solo", record));
        assertThat(record.devices().get(0).freeBytes()).isEqualTo(58L << 30);
        assertThat(solo.nodes().get("nobody").join()).isEmpty();
    }

    @Test
    void refusesToPublishAnotherNodesRecord() {
        NodeRecord other = new NodeRecord("other", "127.0.0.1", 1, List.of(), false, 0);

        assertThatThrownBy(() -> solo.nodes().publish(other).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only publish its own record");
    }

    @Test
    void catalogKeepsPredictedAndMeasuredSizes() {
        ModelKey key = ModelKey.of("catalog-model", 3);

        solo.catalog().predict(key, 100L << 20).join();
        solo.catalog().recordMeasured(key, 180L << 20, 1200).join();

        CatalogEntry entry = solo.catalog().get(key).join().orElseThrow();
        assertThat(entry.predictedBytes()).isEqualTo(100L << 20);
        assertThat(entry.measuredBytes()).isEqualTo(180L << 20);
        assertThat(entry.meanLoadMillis()).isEqualTo(1200);
        assertThat(solo.catalog().all().join()).containsKey(key);

        solo.catalog().remove(key).join();
        assertThat(solo.catalog().get(key).join()).isEmpty();
    }

    @Test
    void copyGoesThroughItsLifecycleAndListenersSeeEveryChange() {
        ModelKey key = ModelKey.of("lifecycle-model", 1);
        List<TableEvent> events = new CopyOnWriteArrayList<>();
        Subscription subscription = solo.placements()
                .listen(e -> {
                    if (e.key().equals(key)) {
                        events.add(e);
                    }
                })
                .join();
        long t0 = CLOCK.get();

        assertThat(solo.placements().claimLoad(key, "solo", "cpu0", 1000).join())
                .isTrue();
        CLOCK.addAndGet(250);
        assertThat(solo.placements().markReady(key, "solo", "cpu0", 1200).join())
                .isTrue();
        assertThat(solo.placements().touch(key, "solo", "cpu0", t0 + 300, 12.5).join())
                .isTrue();

        assertThat(solo.placements().copies(key).join())
                .containsExactly(new Copy("solo", "cpu0", State.READY, "", 1200, t0 + 300, 12.5, t0 + 250, 3));
        assertThat(solo.placements().snapshot().join()).containsKey(key);

        assertThat(solo.placements().markUnloading(key, "solo", "cpu0").join()).isTrue();
        assertThat(solo.placements().removeCopy(key, "solo", "cpu0").join()).isTrue();
        assertThat(solo.placements().copies(key).join()).isEmpty();
        assertThat(solo.placements().snapshot().join()).doesNotContainKey(key);

        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(() -> assertThat(events).hasSize(5));
        assertThat(events)
                .extracting(e -> e.copies().isEmpty() ? null : e.copies().get(0).state())
                .containsExactly(State.LOADING, State.READY, State.READY, State.UNLOADING, null);
        subscription.cancel().join();
    }

    @Test
    void failedCopyKeepsItsReasonUntilRemovedAndCanBeClaimedAgain() {
        ModelKey key = ModelKey.of("failing-model", 2);

        solo.placements().claimLoad(key, "solo", "cpu0").join();
        assertThat(solo.placements()
                        .markFailed(key, "solo", "cpu0", "model needs 3 GiB, device has 1")
                        .join())
                .isTrue();
        assertThat(solo.placements().copies(key).join())
                .singleElement()
                .extracting(Copy::state, Copy::reason)
                .containsExactly(State.FAILED, "model needs 3 GiB, device has 1");

        assertThat(solo.placements().claimLoad(key, "solo", "cpu0").join()).isTrue();
        assertThat(solo.placements().copies(key).join())
                .singleElement()
                .extracting(Copy::state)
                .isEqualTo(State.LOADING);
    }

    @Test
    void reassertCreatesEntriesForVersionsTheTableDidNotKnow() {
        ModelKey key = ModelKey.of("reasserted-model", 1);
        Copy held = Copy.ready("solo", "cpu0", 10, CLOCK.get(), 1, CLOCK.get());

        solo.placements()
                .reassert("solo", Map.of(key, List.of(held)), CLOCK.get())
                .join();

        assertThat(solo.placements().copies(key).join()).containsExactly(held.withVersion(1));
        assertThatThrownBy(() -> solo.placements()
                        .reassert("other", Map.of(key, List.of(held)), 0)
                        .join())
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void hazelcastCallsRunOnTheGivenExecutorNeverOnTheCaller() {
        ModelKey key = ModelKey.of("threading-model", 1);
        gate.close();
        CompletableFuture<Boolean> claim;
        try {
            claim = solo.placements().claimLoad(key, "solo", "cpu0");
            CompletableFuture<List<Copy>> copies = solo.placements().copies(key);
            CompletableFuture<Void> publish =
                    solo.nodes().publish(new NodeRecord("solo", "127.0.0.1", 1, List.of(), false, 0));
            CompletableFuture<CatalogEntry> measure = solo.catalog().recordMeasured(key, 1, 1);
            CompletableFuture<DocumentWrite> write = solo.documents().createIfAbsent("threading-doc", "t", "");
            CompletableFuture<?> read = solo.documents().get("threading-doc");

            assertThat(List.of(claim, copies, publish, measure, write, read)).noneMatch(CompletableFuture::isDone);
            assertThat(gate.held()).isEqualTo(6);
        } finally {
            gate.open();
        }
        // The held calls run once the gate opens, in any order on the executor's threads: read after the claim.
        assertThat(claim.join()).isTrue();
        assertThat(solo.placements().copies(key).join()).hasSize(1);
    }
}
