package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.core.HazelcastInstance;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.SharedDocument;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Layer 3: no class outside a short list of Hazelcast's and the JDK's own is ever deserialized with
 * Java serialization on a member. An outsider that knows the cluster name stores Java-serialized
 * objects where the mesh keeps its state; the nodes refuse them before any instance exists, treat
 * the entries as absent and count them, and keep working.
 */
class JavaDeserializationFilterTest {

    private static final ClusterSecret SECRET = ClusterSecret.random();
    private static final String LABEL = "filter-" + UUID.randomUUID().toString().substring(0, 8);

    private static ExecutorService executor;
    private static MeshCluster a;
    private static MeshCluster b;
    private static HazelcastInstance outsider;

    @BeforeAll
    static void start() throws Exception {
        executor = Executors.newCachedThreadPool();
        ClusterConfig config = ClusterConfig.defaults().withClusterName(LABEL).withSecret(SECRET);
        a = MeshCluster.join(config.withNodeId("a"), executor).join();
        b = MeshCluster.join(config.withNodeId("b").withPeers(List.of(Outsider.address(a))), executor)
                .join();
        outsider = Outsider.member(ClusterKeys.clusterName(SECRET, LABEL), a, false);
        await().untilAsserted(() -> assertThat(a.members()).containsExactly("0rogue", "a", "b"));
    }

    @AfterAll
    static void stop() {
        outsider.getLifecycleService().terminate();
        a.crash();
        b.crash();
        executor.shutdownNow();
    }

    @Test
    void aJavaSerializedObjectOfAClassOutsideTheListIsRefusedNotInstantiated() throws Exception {
        List<SharedDocument> heard = new CopyOnWriteArrayList<>();
        b.documents().listen("tenants", heard::add).join();
        long before = a.forgedEntries().get("documents") + b.forgedEntries().get("documents");

        outsider.getMap(HazelcastConfigs.DOCUMENTS_MAP).set("tenants", new Canary());
        outsider.getMap(HazelcastConfigs.PLACEMENTS_MAP).set(ModelKey.of("canary", 1), new Canary());
        outsider.getMap(HazelcastConfigs.NODES_MAP).set("0rogue", new Canary());
        outsider.getMap(HazelcastConfigs.DOCUMENTS_MAP).set("jdk", new ObjectName("evil:type=Gadget"));

        assertThat(a.documents().get("tenants").join()).isEmpty();
        assertThat(b.documents().get("jdk").join()).isEmpty();
        assertThat(a.placements().copies(ModelKey.of("canary", 1)).join()).isEmpty();
        assertThat(a.placements().snapshot().join()).doesNotContainKey(ModelKey.of("canary", 1));
        assertThat(b.nodes().all().join()).doesNotContainKey("0rogue");
        // The listener got the Java-serialized value too; the next authentic version still arrives.
        assertThat(a.documents()
                        .createIfAbsent("tenants", "tenants: []", "")
                        .join()
                        .written())
                .isTrue();
        await().untilAsserted(
                        () -> assertThat(heard).extracting(SharedDocument::text).containsExactly("tenants: []"));

        assertThat(Canary.DESERIALIZED).hasValue(0);
        assertThat(a.forgedEntries().get("documents") + b.forgedEntries().get("documents") - before)
                .isGreaterThanOrEqualTo(3);
        assertThat(a.forgedEntries().get("placements") + b.forgedEntries().get("placements"))
                .isPositive();
        assertThat(a.forgedEntries().get("nodes") + b.forgedEntries().get("nodes"))
                .isPositive();
    }

    @Test
    void theFilterListsNoClassOfTheMeshAndRefusesEverythingElse() {
        Config config = ((HazelcastMeshCluster) a).hazelcast().getConfig();
        JavaSerializationFilterConfig filter = config.getSerializationConfig().getJavaSerializationFilterConfig();

        assertThat(filter.isDefaultsDisabled()).isTrue();
        assertThat(filter.getWhitelist().getClasses()).isEmpty();
        assertThat(filter.getWhitelist().getPackages()).isEmpty();
        assertThat(filter.getWhitelist().getPrefixes())
                .containsExactlyInAnyOrderElementsOf(HazelcastConfigs.JAVA_SERIALIZATION_PREFIXES)
                .noneMatch(p -> "dev.modelmux.".startsWith(p) || p.startsWith("dev."))
                .noneMatch(p -> "javax.".startsWith(p));
        assertThat(filter.getBlacklist().getPrefixes()).contains("java.lang.reflect.", "java.lang.invoke.");
    }
}
