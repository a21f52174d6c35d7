package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Versioned shared documents on two real members in one JVM, shared by the class; each test uses its own names. */
class SharedDocumentsTest {

    private static final AtomicLong CLOCK = new AtomicLong(1_700_000_000_000L);
    private static TestMembers members;
    private static MeshCluster a;
    private static MeshCluster b;

    @BeforeAll
    static void start() {
        members = new TestMembers();
        a = MeshCluster.join(members.config("a"), members.executor, CLOCK::get).join();
        b = MeshCluster.join(
                        members.config("b").withPeers(List.of(TestMembers.address(a))), members.executor, CLOCK::get)
                .join();
        await().atMost(TestMembers.PATIENCE).untilAsserted(() -> {
            assertThat(a.members()).containsExactly("a", "b");
            assertThat(b.members()).containsExactly("a", "b");
        });
    }

    @AfterAll
    static void stop() throws InterruptedException {
        TestMembers.terminate(a);
        TestMembers.terminate(b);
        members.close();
    }

    @Test
    void firstCreateWinsAndTheOtherSeesTheConflictWithTheWinner() {
        CLOCK.set(1_700_000_000_100L);
        DocumentWrite first =
                a.documents().createIfAbsent("created", "one", "from a").join();
        DocumentWrite second =
                b.documents().createIfAbsent("created", "two", "from b").join();

        SharedDocument v1 = new SharedDocument("created", 1, "one", "a", 1_700_000_000_100L, "from a");
        assertThat(first).isEqualTo(new DocumentWrite.Written(v1));
        assertThat(second.written()).isFalse();
        assertThat(second).isEqualTo(new DocumentWrite.Conflict(0, Optional.of(v1)));
        assertThat(((DocumentWrite.Conflict) second).currentVersion()).isEqualTo(1);
        assertThat(b.documents().get("created").join()).contains(v1);
        assertThat(a.documents().get("never-written").join()).isEmpty();
    }

    @Test
    void compareAndSetWritesTheNextVersionOnlyOverTheExpectedOne() {
        a.documents().createIfAbsent("cas", "v1", "").join();

        DocumentWrite stale = b.documents().compareAndSet("cas", 0, "lost", "").join();
        DocumentWrite ahead = b.documents().compareAndSet("cas", 2, "lost", "").join();
        DocumentWrite ok =
                b.documents().compareAndSet("cas", 1, "v2", "PUT by b").join();
        DocumentWrite nowStale =
                a.documents().compareAndSet("cas", 1, "lost", "").join();
        DocumentWrite absent =
                a.documents().compareAndSet("cas-absent", 3, "lost", "").join();

        assertThat(stale).isInstanceOf(DocumentWrite.Conflict.class);
        assertThat(((DocumentWrite.Conflict) ahead).currentVersion()).isEqualTo(1);
        assertThat(ok).isInstanceOfSatisfying(DocumentWrite.Written.class, w -> {
            assertThat(w.document().version()).isEqualTo(2);
            assertThat(w.document().text()).isEqualTo("v2");
            assertThat(w.document().updatedBy()).isEqualTo("b");
            assertThat(w.document().note()).isEqualTo("PUT by b");
        });
        assertThat(nowStale).isInstanceOfSatisfying(DocumentWrite.Conflict.class, c -> {
            assertThat(c.expectedVersion()).isEqualTo(1);
            assertThat(c.currentVersion()).isEqualTo(2);
            assertThat(c.current().orElseThrow().text()).isEqualTo("v2");
        });
        assertThat(absent).isEqualTo(new DocumentWrite.Conflict(3, Optional.empty()));
        assertThat(a.documents().get("cas").join().orElseThrow().text()).isEqualTo("v2");
    }

    @Test
    void racingReadModifyWriteLoopsFromBothMembersLoseNoUpdate() throws Exception {
        a.documents().createIfAbsent("counter", "0", "").join();
        int perThread = 10;
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (MeshCluster m : List.of(a, b, a, b)) {
                done.add(threads.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        while (true) {
                            SharedDocument d =
                                    m.documents().get("counter").join().orElseThrow();
                            String next = Long.toString(Long.parseLong(d.text()) + 1);
                            if (m.documents()
                                    .compareAndSet("counter", d.version(), next, "")
                                    .join()
                                    .written()) {
                                break;
                            }
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            threads.shutdownNow();
        }

        SharedDocument end = b.documents().get("counter").join().orElseThrow();
        assertThat(end.text()).isEqualTo(Integer.toString(4 * perThread));
        assertThat(end.version()).isEqualTo(4 * perThread + 1);
    }

    @Test
    void listenersOnEveryMemberGetEveryVersionInOrderTheWritersOwnIncluded() {
        List<SharedDocument> atA = new CopyOnWriteArrayList<>();
        List<SharedDocument> atB = new CopyOnWriteArrayList<>();
        List<SharedDocument> otherName = new CopyOnWriteArrayList<>();
        Subscription sa = a.documents().listen("listened", atA::add).join();
        Subscription sb = b.documents().listen("listened", atB::add).join();
        Subscription so = a.documents().listen("listened-other", otherName::add).join();

        a.documents().createIfAbsent("listened", "1", "").join();
        b.documents().compareAndSet("listened", 1, "2", "").join();
        a.documents().compareAndSet("listened", 2, "3", "").join();
        a.documents().compareAndSet("listened", 2, "refused", "").join();

        for (List<SharedDocument> seen : List.of(atA, atB)) {
            await().atMost(TestMembers.PATIENCE)
                    .untilAsserted(() ->
                            assertThat(seen).extracting(SharedDocument::text).containsExactly("1", "2", "3"));
            assertThat(seen).extracting(SharedDocument::version).containsExactly(1L, 2L, 3L);
            assertThat(seen).extracting(SharedDocument::updatedBy).containsExactly("a", "b", "a");
        }

        // A cancelled subscription hears nothing more; the other member's still does.
        sa.cancel().join();
        b.documents().compareAndSet("listened", 3, "4", "").join();
        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(
                        () -> assertThat(atB).extracting(SharedDocument::text).endsWith("4"));
        assertThat(atA).extracting(SharedDocument::text).containsExactly("1", "2", "3");
        assertThat(otherName).isEmpty();
        sb.cancel().join();
        so.cancel().join();
    }

    @Test
    void textIsCappedAndNamesAreChecked() {
        String max = "x".repeat(SharedDocuments.MAX_TEXT_BYTES);
        assertThat(a.documents().createIfAbsent("big", max, "").join().written())
                .isTrue();
        assertThat(b.documents().get("big").join().orElseThrow().text()).hasSize(SharedDocuments.MAX_TEXT_BYTES);

        // One more byte, counted in UTF-8 (é is two).
        String over = "é" + "x".repeat(SharedDocuments.MAX_TEXT_BYTES - 1);
        assertThatThrownBy(() -> a.documents().compareAndSet("big", 1, over, "").join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("larger than " + SharedDocuments.MAX_TEXT_BYTES + " bytes");
        assertThat(b.documents().get("big").join().orElseThrow().version()).isEqualTo(1);

        for (CompletableFuture<?> bad : List.of(
                a.documents().get("no/slashes"),
                a.documents().get(""),
                a.documents().createIfAbsent("x".repeat(129), "t", ""),
                a.documents().compareAndSet("ok", -1, "t", ""),
                a.documents().listen("sp ace", d -> {}))) {
            assertThatThrownBy(bad::join).hasCauseInstanceOf(IllegalArgumentException.class);
        }
    }
}
