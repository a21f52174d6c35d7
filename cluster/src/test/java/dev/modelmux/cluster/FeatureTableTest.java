package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared feature table on two real members in one JVM; each test uses its own entity ids. */
class FeatureTableTest {

    private static final AtomicLong CLOCK = new AtomicLong(1_700_000_000_000L);
    private static TestMembers members;
    private static MeshCluster a;
    private static MeshCluster b;
    private static boolean emptyAtStart;

    @BeforeAll
    static void start() {
        members = new TestMembers();
        a = MeshCluster.join(members.config("a"), members.executor, CLOCK::get).join();
        b = MeshCluster.join(
                        members.config("b").withPeers(List.of(TestMembers.address(a))), members.executor, CLOCK::get)
                .join();
        await().atMost(TestMembers.PATIENCE)
                .untilAsserted(() -> assertThat(b.members()).containsExactly("a", "b"));
        emptyAtStart = b.features().isEmpty().join();
    }

    @AfterAll
    static void stop() throws InterruptedException {
        TestMembers.terminate(a);
        TestMembers.terminate(b);
        members.close();
    }

    @Test
    void valuesWrittenOnOneMemberAreReadOnTheOtherWithTheirWriteTime() {
        assertThat(emptyAtStart).isTrue();
        CLOCK.set(1_700_000_000_500L);
        int written = a.features()
                .put(Map.of("u1", Map.of("user.age", 31.0, "user.score", -0.25), "u2", Map.of("user.age", 40.0)))
                .join();

        assertThat(written).isEqualTo(3);
        assertThat(b.features().isEmpty().join()).isFalse();
        Map<String, FeatureValue> got = b.features()
                .get("u1", List.of("user.age", "user.score", "user.missing"))
                .join();
        assertThat(got)
                .containsOnly(
                        Map.entry("user.age", new FeatureValue(31, 1_700_000_000_500L)),
                        Map.entry("user.score", new FeatureValue(-0.25, 1_700_000_000_500L)));
        assertThat(b.features().get("nobody", List.of("user.age")).join()).isEmpty();
        assertThat(b.features().get("u1", List.of()).join()).isEmpty();
    }

    @Test
    void aWriteReplacesOnlyTheFeaturesItNames() {
        CLOCK.set(1_700_000_001_000L);
        a.features().put(Map.of("e:7", Map.of("f.a", 1.0, "f.b", 2.0))).join();
        CLOCK.set(1_700_000_002_000L);
        b.features().put(Map.of("e:7", Map.of("f.b", 3.0))).join();

        assertThat(a.features().entity("e:7").join())
                .containsExactly(
                        Map.entry("f.a", new FeatureValue(1, 1_700_000_001_000L)),
                        Map.entry("f.b", new FeatureValue(3, 1_700_000_002_000L)));
    }

    @Test
    void anEntityListsItsOwnFeaturesOnlyEvenWhenItsIdIsAPrefixOfAnother() {
        a.features()
                .put(Map.of("p.1", Map.of("x", 1.0), "p.10", Map.of("y", 2.0), "pa1", Map.of("z", 3.0)))
                .join();

        assertThat(b.features().entity("p.1").join()).containsOnlyKeys("x");
        assertThat(b.features().entity("p.10").join()).containsOnlyKeys("y");
        assertThat(b.features().entity("p.2").join()).isEmpty();
    }

    @Test
    void namesOutsideThePatternAndNonFiniteValuesAreRefused() {
        assertThatThrownBy(() -> a.features().get("bad id", List.of("x")).join())
                .isInstanceOf(CompletionException.class)
                .hasCauseInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.features().get("ok", List.of("x\u0000y")).join())
                .hasCauseInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() ->
                        a.features().put(Map.of("ok", Map.of("x", Double.NaN))).join())
                .hasCauseInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("finite");
        assertThatThrownBy(() -> a.features().entity("x".repeat(129)).join())
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }
}
