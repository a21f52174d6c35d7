package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.serialization.genericrecord.GenericRecord;
import com.hazelcast.nio.serialization.genericrecord.GenericRecordBuilder;
import com.hazelcast.ringbuffer.OverflowPolicy;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DocumentWrite;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.cluster.SharedDocument;
import dev.modelmux.cluster.TableEvent;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Layer 2: an outsider that knows the derived cluster name (it sniffed a join) but not the secret
 * joins and writes straight into the maps. Nothing it writes is believed: every reader treats its
 * entries as absent and counts them, its entry processors do not run, and an authentic entry it
 * moves to another key is refused too. Two nodes and the outsider (a lite member: what it writes
 * lives on the nodes) share the class; each test uses its own keys.
 */
class ForgedEntriesTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ClusterSecret SECRET = ClusterSecret.random();
    private static final String LABEL = "forged-" + UUID.randomUUID().toString().substring(0, 8);

    private static ExecutorService executor;
    private static MeshCluster a;
    private static MeshCluster b;
    private static HazelcastInstance outsider;

    @BeforeAll
    static void start() {
        executor = Executors.newCachedThreadPool();
        ClusterConfig config = ClusterConfig.defaults().withClusterName(LABEL).withSecret(SECRET);
        a = MeshCluster.join(config.withNodeId("a"), executor).join();
        b = MeshCluster.join(config.withNodeId("b").withPeers(List.of(Outsider.address(a))), executor)
                .join();
        outsider = Outsider.member(ClusterKeys.clusterName(SECRET, LABEL), a, true);
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
    void aForgedTenantsDocumentIsAbsentToEveryReaderAndNeverReachesAListener() {
        List<SharedDocument> heard = new CopyOnWriteArrayList<>();
        b.documents().listen("tenants", heard::add).join();
        a.documents().createIfAbsent("tenants", "tenants: [{id: ops}]", "file").join();
        long before = forged("documents");

        // With the mesh's code but not its key: a well-formed version with a made-up tag.
        outsider.getMap(HazelcastConfigs.DOCUMENTS_MAP)
                .set(
                        "tenants",
                        new StoredDocument(
                                new SharedDocument("tenants", 2, "tenants: [{id: evil}]", "a", 1, ""), randomTag()));

        assertThat(a.documents().get("tenants").join()).isEmpty();
        assertThat(b.documents().get("tenants").join()).isEmpty();
        // Events of one key arrive in order: once the next authentic version is heard, the forged
        // one would have been heard before it.
        assertThat(a.documents()
                        .compareAndSet("tenants", 0, "tenants: [{id: ops2}]", "api")
                        .join()
                        .written())
                .isTrue();
        await().untilAsserted(
                        () -> assertThat(heard).extracting(SharedDocument::text).contains("tenants: [{id: ops2}]"));
        assertThat(heard).extracting(SharedDocument::text).doesNotContain("tenants: [{id: evil}]");
        assertThat(forged("documents")).isGreaterThan(before);
    }

    @Test
    void aDocumentWrittenWithoutTheMeshsCodeOrMovedFromAnotherNameIsAbsent() {
        DocumentWrite tenants =
                a.documents().createIfAbsent("moved-from", "tenants: []", "").join();
        assertThat(tenants.written()).isTrue();
        IMap<String, Object> raw = outsider.getMap(HazelcastConfigs.DOCUMENTS_MAP);

        // Plain Hazelcast, the mesh's type names: no tag at all.
        GenericRecord doc = GenericRecordBuilder.compact("modelmux.SharedDocument")
                .setString("name", "generic")
                .setInt64("version", 9)
                .setString("text", "endpoints: [{name: evil}]")
                .setString("updatedBy", "a")
                .setInt64("updatedAtMillis", 1)
                .setString("note", "")
                .build();
        raw.set(
                "generic",
                GenericRecordBuilder.compact("modelmux.StoredDocument")
                        .setGenericRecord("document", doc)
                        .build());
        // An authentic version, with its valid tag, copied to another name.
        raw.set("moved-to", raw.get("moved-from"));

        assertThat(b.documents().get("generic").join()).isEmpty();
        assertThat(b.documents().get("moved-to").join()).isEmpty();
        assertThat(b.documents().get("moved-from").join()).isPresent();
    }

    @Test
    void forgedNodeRecordsArePassedOverAndAnAuthenticOneCannotBeMovedToAnotherNode() {
        NodeRecord real = new NodeRecord("a", "127.0.0.1", 8001, List.of(), false, 1);
        a.nodes().publish(real).join();
        IMap<String, Object> raw = outsider.getMap(HazelcastConfigs.NODES_MAP);
        NodeRecord rogue = new NodeRecord("0rogue", "127.0.0.1", 6666, List.of(), false, 1);

        raw.set("0rogue", new RegistryEntry(rogue, UUID.randomUUID().toString(), randomTag()));
        raw.set("0rogue2", raw.get("a"));
        raw.set("b", new RegistryEntry(new NodeRecord("b", "10.6.6.6", 6666, List.of(), false, 1), "x", null));

        assertThat(b.nodes().all().join()).containsOnlyKeys("a").containsEntry("a", real);
        assertThat(b.nodes().get("0rogue").join()).isEmpty();
        assertThat(b.nodes().get("b").join()).isEmpty();
        assertThat(forged("nodes")).isGreaterThanOrEqualTo(3);
    }

    @Test
    void forgedPlacementEntriesCountAsNoCopiesAndTheNextReassertReplacesThem() {
        ModelKey forgedKey = ModelKey.of("forged-placement", 1);
        ModelKey realKey = ModelKey.of("real-placement", 1);
        List<TableEvent> events = new CopyOnWriteArrayList<>();
        b.placements().listen(events::add).join();
        a.placements().claimLoad(realKey, "a", "cpu0", 10).join();
        IMap<Object, Object> raw = outsider.getMap(HazelcastConfigs.PLACEMENTS_MAP);

        Copy rogueCopy = Copy.ready("0rogue", "cpu0", 1, 1, 100, 1).withVersion(1);
        raw.set(forgedKey, new StoredCopies(List.of(rogueCopy), randomTag()));
        raw.set(ModelKey.of("moved-placement", 1), raw.get(realKey));

        assertThat(b.placements().copies(forgedKey).join()).isEmpty();
        assertThat(b.placements().copies(ModelKey.of("moved-placement", 1)).join())
                .isEmpty();
        assertThat(b.placements().snapshot().join()).containsOnlyKeys(realKey);
        await().untilAsserted(() -> assertThat(events).anyMatch(e -> e.key().equals(forgedKey)));
        assertThat(events)
                .filteredOn(e -> e.key().equals(forgedKey))
                .allMatch(e -> e.copies().isEmpty());

        // A node's reassert is the truth about its copies: it drops what it cannot vouch for.
        a.placements().reassert("a", Map.of(), Long.MIN_VALUE).join();
        assertThat(raw.containsKey(forgedKey)).isFalse();
        assertThat(forged("placements")).isPositive();
    }

    @Test
    void forgedDrainsAndPinsAreNotSetAndSettingOneForRealReplacesThem() {
        IMap<String, Object> drains = outsider.getMap(HazelcastOperatorState.DRAINS_MAP);
        IMap<String, Object> pins = outsider.getMap(HazelcastOperatorState.PINS_MAP);
        drains.set("b", new StoredFlag(1, randomTag()));
        drains.set("a", 1L);
        pins.set("m", new StoredFlag(1, null));

        assertThat(a.operators().draining().join()).isEmpty();
        assertThat(b.operators().pinned().join()).isEmpty();
        assertThat(a.operators().setDraining("b", true).join()).isTrue();
        assertThat(b.operators().draining().join()).containsExactly("b");
        assertThat(b.operators().setPinned("m", false).join()).isFalse();
        assertThat(forged("drains")).isPositive();
        assertThat(forged("pins")).isPositive();
        a.operators().setDraining("b", false).join();
    }

    @Test
    void forgedFeatureValuesCatalogEntriesAndTimelineEventsAreAbsent() {
        a.features().put(Map.of("user:1", Map.of("age", 31.0))).join();
        IMap<String, Object> features = outsider.getMap(HazelcastConfigs.FEATURES_MAP);
        features.set(HazelcastFeatureTable.key("user:1", "score"), new StoredFeature(0.99, 1, randomTag()));
        features.set(
                HazelcastFeatureTable.key("user:2", "age"), features.get(HazelcastFeatureTable.key("user:1", "age")));
        ModelKey key = ModelKey.of("catalogued", 1);
        outsider.getMap(HazelcastConfigs.CATALOG_MAP)
                .set(key, new StoredCatalogEntry(new CatalogEntry(1L << 40, 1L << 40, 1, 1), randomTag()));
        outsider.getRingbuffer(HazelcastOperatorState.EVENTS_RINGBUFFER)
                .addAsync(
                        new StoredEvent(
                                MeshEvent.node(1, MeshEvent.Kind.DRAIN, "a", MeshEvent.ACTOR_ADMIN, "forged"),
                                randomTag()),
                        OverflowPolicy.OVERWRITE)
                .toCompletableFuture()
                .join();

        assertThat(b.features().get("user:1", List.of("age", "score")).join()).containsOnlyKeys("age");
        assertThat(b.features().entity("user:2").join()).isEmpty();
        assertThat(b.catalog().get(key).join()).isEmpty();
        assertThat(b.catalog().all().join()).doesNotContainKey(key);
        assertThat(b.operators().events().recent(100).join())
                .noneMatch(s -> s.event().detail().equals("forged"));
        assertThat(forged("features")).isGreaterThanOrEqualTo(2);
        assertThat(forged("catalog")).isPositive();
        assertThat(forged("events")).isPositive();
    }

    @Test
    void entryProcessorsWithoutAValidTagDoNotRunAndOneTaggedForAnotherKeyIsRefused() {
        ModelKey key = ModelKey.of("op-target", 1);
        IMap<Object, Object> placements = outsider.getMap(HazelcastConfigs.PLACEMENTS_MAP);
        IMap<String, Object> documents = outsider.getMap(HazelcastConfigs.DOCUMENTS_MAP);
        long before = forged("operations");

        Object claimed = placements.executeOnKey(
                key, CopyOp.of(CopyOp.Kind.CLAIM, "0rogue", "cpu0", 1).withBytes(1));
        Object reasserted = placements.executeOnKeys(
                Set.of(key),
                new Reassert(
                        "0rogue", List.of(new Holding(key, Copy.ready("0rogue", "cpu0", 1, 1, 1, 1))), 1, randomTag()));
        Object written =
                documents.executeOnKey("op-doc", new DocumentOp(0, "tenants: [{id: evil}]", "", "a", 1, randomTag()));
        // An authentic operation (as if captured on the wire) replayed on another key.
        EntryTags stolenUse = new EntryTags(ClusterKeys.tagKey(SECRET, LABEL), new Forgeries());
        Object replayed = placements.executeOnKey(
                ModelKey.of("other-key", 1),
                CopyOp.of(CopyOp.Kind.CLAIM, "0rogue", "cpu0", 1).signedFor(stolenUse, key));

        assertThat(claimed).isEqualTo(false);
        assertThat(reasserted).isEqualTo(Map.of());
        assertThat(written).isEqualTo(new DocumentOutcome(false, null));
        assertThat(replayed).isEqualTo(false);
        assertThat(b.placements().copies(key).join()).isEmpty();
        assertThat(b.placements().copies(ModelKey.of("other-key", 1)).join()).isEmpty();
        assertThat(b.documents().get("op-doc").join()).isEmpty();
        assertThat(forged("operations") - before).isGreaterThanOrEqualTo(4);
    }

    /** Refusals counted by both nodes together (each counts what it read or ran). */
    private static long forged(String label) {
        return a.forgedEntries().get(label) + b.forgedEntries().get(label);
    }

    private static Tag randomTag() {
        byte[] bytes = new byte[Tag.BYTES];
        RANDOM.nextBytes(bytes);
        return new Tag(bytes);
    }
}
