package dev.modelmux.cluster.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.internal.serialization.Data;
import com.hazelcast.internal.serialization.InternalSerializationService;
import com.hazelcast.internal.serialization.impl.SerializationConstants;
import com.hazelcast.spi.impl.SerializationServiceSupport;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.FeatureValue;
import dev.modelmux.cluster.MeshCluster;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.cluster.SharedDocument;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Everything the cluster stores or sends, entry processors included, goes through Compact (never
 * Java serialization, which {@code EntryProcessor extends Serializable} would otherwise pick) and
 * round-trips unchanged.
 */
class SerializationTest {

    private static ExecutorService executor;
    private static MeshCluster member;
    private static InternalSerializationService serialization;

    @BeforeAll
    static void start() {
        executor = Executors.newCachedThreadPool();
        member = MeshCluster.join(
                        ClusterConfig.defaults()
                                .withNodeId("ser")
                                .withClusterName(
                                        "ser-" + UUID.randomUUID().toString().substring(0, 8)),
                        executor)
                .join();
        serialization = (InternalSerializationService)
                ((SerializationServiceSupport) ((HazelcastMeshCluster) member).hazelcast()).getSerializationService();
    }

    @AfterAll
    static void stop() {
        ((HazelcastMeshCluster) member).hazelcast().getLifecycleService().terminate();
        executor.shutdownNow();
    }

    @Test
    void everyStoredOrSentTypeIsCompactAndRoundTrips() {
        ModelKey key = ModelKey.of("resnet", 7);
        Copy copy = new Copy("a", "cuda0", Copy.State.FAILED, "out of memory", 9L << 32, 5, 0.25, 4, 11);
        NodeRecord node = new NodeRecord(
                "a", "10.0.0.1", 50051, List.of(new DeviceRecord("cuda0", "cuda", 80L << 30, 1, 2, 3)), true, 99);
        Tag tag = new Tag(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        SharedDocument doc = new SharedDocument("tenants", 3, "tenants: []", "a", 12, "PUT");
        MeshEvent event = MeshEvent.node(1, MeshEvent.Kind.DRAIN, "a", MeshEvent.ACTOR_ADMIN, "why");
        List<Object> values = List.of(
                key,
                copy,
                node,
                new CatalogEntry(1, 2, 3, 4),
                new StoredCatalogEntry(new CatalogEntry(1, 2, 3, 4), tag),
                new StoredCopies(List.of(copy, Copy.loading("b", "cpu0", 1, 2)), tag),
                new RegistryEntry(node, UUID.randomUUID().toString(), tag),
                new CopyOp(CopyOp.Kind.TOUCH, "a", "cuda0", 5, "r", 6, 7.5, 8, tag),
                new Reassert("a", List.of(new Holding(key, copy)), 42, tag),
                Reassert.dropNode("a"),
                new CatalogOp(CatalogOp.Kind.MEASURE, 1, 2, tag),
                new RemoveIfPublishedBy("u1"),
                doc,
                new StoredDocument(doc, tag),
                new DocumentOp(2, "tenants: []", "api", "a", 12, tag),
                new DocumentOutcome(true, new StoredDocument(new SharedDocument("tenants", 3, "t", "a", 12, ""), tag)),
                new DocumentOutcome(false, null),
                new StoredFlag(7, tag),
                new FeatureValue(-0.5, 1_700_000_000_000L),
                new StoredFeature(-0.5, 1_700_000_000_000L, tag),
                event,
                new StoredEvent(event, tag));

        for (Object value : values) {
            Data data = serialization.toData(value);
            assertThat(data.getType())
                    .as("serializer of %s", value.getClass().getSimpleName())
                    .isEqualTo(SerializationConstants.TYPE_COMPACT);
            Object back = serialization.toObject(data);
            // The member binds the mesh's operations to its key as they arrive (Binder).
            Object unwrapped = back instanceof BoundOp<?, ?, ?> bound ? bound.op() : back;
            assertThat(unwrapped).isEqualTo(value);
        }
    }
}
