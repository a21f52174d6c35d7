package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.Copy.State;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Three members in one JVM, shared by the class (no test here removes a member; every test uses
 * its own model keys). C joins through B only: membership spreads.
 */
class ThreeMemberTest {

    private static final int THREADS_PER_MEMBER = 8;
    private static TestMembers members;
    private static MeshCluster a;
    private static MeshCluster b;
    private static MeshCluster c;
    private static List<MeshCluster> all;

    @BeforeAll
    static void start() {
        members = new TestMembers();
        a = members.start("a");
        b = members.start("b", a);
        c = members.start("c", b);
        all = List.of(a, b, c);
        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(() -> all.forEach(m -> assertThat(m.members()).containsExactly("a", "b", "c")));
    }

    @AfterAll
    static void stop() throws InterruptedException {
        members.close();
    }

    @Test
    void everyMemberSeesEveryOthersNodeRecord() {
        for (MeshCluster m : all) {
            m.nodes().publish(record(m.localNodeId())).join();
        }

        for (MeshCluster m : all) {
            Map<String, NodeRecord> seen = m.nodes().all().join();
            assertThat(seen).containsOnlyKeys("a", "b", "c");
            assertThat(seen.get("b")).isEqualTo(record("b"));
        }
    }

    @Test
    void racingClaimsForOneDeviceHaveExactlyOneWinner() throws Exception {
        ModelKey key = ModelKey.of("raced", 1);

        List<Boolean> results =
                race(m -> () -> m.placements().claimLoad(key, "b", "gpu0", 100).join());

        assertThat(results).hasSize(3 * THREADS_PER_MEMBER).containsOnlyOnce(true);
        assertThat(a.placements().markReady(key, "b", "gpu0", 120).join()).isTrue();
        for (MeshCluster m : all) {
            assertThat(m.placements().copies(key).join())
                    .singleElement()
                    .extracting(Copy::nodeId, Copy::state, Copy::bytes)
                    .containsExactly("b", State.READY, 120L);
        }
    }

    @Test
    void racingFirstLoadsForDifferentDevicesCauseExactlyOneLoad() throws Exception {
        ModelKey key = ModelKey.of("first-load", 1);
        List<String> devices = new CopyOnWriteArrayList<>();

        List<Boolean> results = race(m -> () -> {
            String device = "gpu-" + Thread.currentThread().getId();
            boolean won = m.placements()
                    .claimFirstLoad(key, m.localNodeId(), device, 100)
                    .join();
            if (won) {
                devices.add(device);
            }
            return won;
        });

        assertThat(results).containsOnlyOnce(true);
        assertThat(b.placements().copies(key).join())
                .singleElement()
                .extracting(Copy::deviceId)
                .isEqualTo(devices.get(0));
    }

    @Test
    void concurrentTouchesAndMeasurementsLoseNoUpdate() throws Exception {
        ModelKey key = ModelKey.of("busy", 1);
        int perThread = 25;
        a.placements().claimLoad(key, "c", "gpu0", 10).join();
        a.placements().markReady(key, "c", "gpu0", 10).join();
        Copy before = a.placements().copies(key).join().get(0);
        AtomicLong latestStamp = new AtomicLong();

        race(m -> () -> {
            for (int i = 1; i <= perThread; i++) {
                long stamp = before.lastUsedMillis() + Thread.currentThread().getId() * 1000 + i;
                latestStamp.accumulateAndGet(stamp, Math::max);
                assertThat(m.placements().touch(key, "c", "gpu0", stamp, i).join())
                        .isTrue();
                assertThat(m.catalog().recordMeasured(key, stamp, 2).join()).isNotNull();
            }
            return true;
        });

        int updates = 3 * THREADS_PER_MEMBER * perThread;
        Copy copy = c.placements().copies(key).join().get(0);
        assertThat(copy.version()).isEqualTo(before.version() + updates);
        assertThat(copy.lastUsedMillis()).isEqualTo(latestStamp.get());
        CatalogEntry entry = b.catalog().get(key).join().orElseThrow();
        assertThat(entry.samples()).isEqualTo(updates);
        assertThat(entry.loadMillisTotal()).isEqualTo(2L * updates);
        assertThat(entry.measuredBytes()).isEqualTo(latestStamp.get());
    }

    @Test
    void reassertReplacesTheReportingNodesCopiesAndLeavesOthersAlone() {
        ModelKey shared = ModelKey.of("shared", 1);
        ModelKey stale = ModelKey.of("stale", 1);
        ModelKey unknown = ModelKey.of("unknown", 1);
        for (String node : List.of("a", "b")) {
            a.placements().claimLoad(shared, node, "gpu0", 10).join();
            a.placements().markReady(shared, node, "gpu0", 10).join();
        }
        a.placements().claimLoad(stale, "b", "gpu1", 10).join();
        Copy aCopy = a.placements().copies(shared).join().get(0);
        long now = System.currentTimeMillis();
        Copy bNow = Copy.ready("b", "gpu0", 15, now, 4, now);
        Copy bUnknown = Copy.ready("b", "gpu1", 20, now, 1, now);

        b.placements()
                .reassert("b", Map.of(shared, List.of(bNow), unknown, List.of(bUnknown)), now)
                .join();

        Map<ModelKey, List<Copy>> table = c.placements().snapshot().join();
        assertThat(table.get(shared)).hasSize(2).contains(aCopy);
        assertThat(table.get(shared).get(1))
                .extracting(Copy::nodeId, Copy::bytes, Copy::requestRate)
                .containsExactly("b", 15L, 4.0);
        assertThat(table).doesNotContainKey(stale);
        assertThat(table.get(unknown)).containsExactly(bUnknown.withVersion(1));
    }

    @Test
    void listenersOnOneMemberSeeChangesMadeOnAnother() {
        ModelKey key = ModelKey.of("watched", 1);
        List<TableEvent> seenOnC = new CopyOnWriteArrayList<>();
        Subscription subscription = c.placements()
                .listen(e -> {
                    if (e.key().equals(key)) {
                        seenOnC.add(e);
                    }
                })
                .join();

        a.placements().claimLoad(key, "a", "gpu0", 10).join();

        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(() -> assertThat(seenOnC)
                        .singleElement()
                        .extracting(e -> e.copies().get(0).state())
                        .isEqualTo(State.LOADING));
        subscription.cancel().join();
    }

    /** Runs one task per thread, {@link #THREADS_PER_MEMBER} threads per member, released together. */
    private static <T> List<T> race(Function<MeshCluster, Callable<T>> task) throws Exception {
        ExecutorService racers = Executors.newFixedThreadPool(3 * THREADS_PER_MEMBER);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (MeshCluster m : all) {
                for (int i = 0; i < THREADS_PER_MEMBER; i++) {
                    Callable<T> body = task.apply(m);
                    futures.add(racers.submit(() -> {
                        go.await();
                        return body.call();
                    }));
                }
            }
            go.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get());
            }
            return results;
        } finally {
            racers.shutdownNow();
        }
    }

    private static NodeRecord record(String nodeId) {
        return new NodeRecord(
                nodeId, "127.0.0.1", 50051, List.of(new DeviceRecord("gpu0", "cuda", 16L << 30, 0, 0, 0)), false, 1);
    }
}
