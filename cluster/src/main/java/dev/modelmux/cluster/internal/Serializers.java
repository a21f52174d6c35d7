package dev.modelmux.cluster.internal;

import com.hazelcast.config.CompactSerializationConfig;
import com.hazelcast.nio.serialization.FieldKind;
import com.hazelcast.nio.serialization.compact.CompactReader;
import com.hazelcast.nio.serialization.compact.CompactSerializer;
import com.hazelcast.nio.serialization.compact.CompactWriter;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.DeviceRecord;
import dev.modelmux.cluster.FeatureValue;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.cluster.SharedDocument;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Compact serializers for everything the cluster stores or sends: map keys and values (each stored
 * value with its tag, see {@link EntryTags}), and the entry processors themselves (with their
 * sender's tag).
 *
 * <p>Why Compact with explicit serializers: the public records stay free of Hazelcast types (no
 * {@code IdentifiedDataSerializable} with mutable fields and no-arg constructors); nothing goes
 * through Java serialization (entry processors are {@code Serializable} by interface, but Hazelcast
 * picks a registered Compact serializer first, and a test checks it does); the schema travels with
 * the data, so a later release can add a field and read old data with {@link #longOr} during a
 * rolling upgrade; and field names, not positions, identify data. Type names are stable strings,
 * independent of Java class names. Zero-config Compact would also handle records, but not the
 * entry processors, and it would tie the schema to field declarations.
 */
final class Serializers {

    private Serializers() {}

    static void register(CompactSerializationConfig config) {
        config.addSerializer(of(
                "modelmux.ModelKey",
                ModelKey.class,
                r -> new ModelKey(r.readString("model"), r.readInt64("version")),
                (w, k) -> {
                    w.writeString("model", k.model());
                    w.writeInt64("version", k.version());
                }));
        config.addSerializer(of(
                "modelmux.DeviceRecord",
                DeviceRecord.class,
                r -> new DeviceRecord(
                        r.readString("deviceId"),
                        r.readString("kind"),
                        r.readInt64("capacityBytes"),
                        r.readInt64("usedBytes"),
                        r.readInt64("reservedBytes"),
                        r.readInt32("inFlight")),
                (w, d) -> {
                    w.writeString("deviceId", d.deviceId());
                    w.writeString("kind", d.kind());
                    w.writeInt64("capacityBytes", d.capacityBytes());
                    w.writeInt64("usedBytes", d.usedBytes());
                    w.writeInt64("reservedBytes", d.reservedBytes());
                    w.writeInt32("inFlight", d.inFlight());
                }));
        config.addSerializer(of(
                "modelmux.NodeRecord",
                NodeRecord.class,
                r -> new NodeRecord(
                        r.readString("nodeId"),
                        r.readString("grpcHost"),
                        r.readInt32("grpcPort"),
                        list(r.readArrayOfCompact("devices", DeviceRecord.class)),
                        r.readBoolean("draining"),
                        r.readInt64("updatedAtMillis")),
                (w, n) -> {
                    w.writeString("nodeId", n.nodeId());
                    w.writeString("grpcHost", n.grpcHost());
                    w.writeInt32("grpcPort", n.grpcPort());
                    w.writeArrayOfCompact("devices", n.devices().toArray(new DeviceRecord[0]));
                    w.writeBoolean("draining", n.draining());
                    w.writeInt64("updatedAtMillis", n.updatedAtMillis());
                }));
        config.addSerializer(of(
                "modelmux.RegistryEntry",
                RegistryEntry.class,
                r -> new RegistryEntry(r.readCompact("record"), r.readString("memberUuid"), tag(r)),
                (w, e) -> {
                    w.writeCompact("record", e.record());
                    w.writeString("memberUuid", e.memberUuid());
                    tag(w, e.tag());
                }));
        config.addSerializer(of(
                "modelmux.RemoveIfPublishedBy",
                RemoveIfPublishedBy.class,
                r -> new RemoveIfPublishedBy(r.readString("memberUuid")),
                (w, p) -> w.writeString("memberUuid", p.memberUuid())));
        config.addSerializer(of(
                "modelmux.CatalogEntry",
                CatalogEntry.class,
                r -> new CatalogEntry(
                        r.readInt64("predictedBytes"),
                        r.readInt64("measuredBytes"),
                        r.readInt64("loadMillisTotal"),
                        r.readInt64("samples")),
                (w, e) -> {
                    w.writeInt64("predictedBytes", e.predictedBytes());
                    w.writeInt64("measuredBytes", e.measuredBytes());
                    w.writeInt64("loadMillisTotal", e.loadMillisTotal());
                    w.writeInt64("samples", e.samples());
                }));
        config.addSerializer(of(
                "modelmux.CatalogOp",
                CatalogOp.class,
                r -> new CatalogOp(
                        CatalogOp.Kind.valueOf(r.readString("kind")),
                        r.readInt64("bytes"),
                        r.readInt64("loadMillis"),
                        tag(r)),
                (w, op) -> {
                    w.writeString("kind", op.kind().name());
                    w.writeInt64("bytes", op.bytes());
                    w.writeInt64("loadMillis", op.loadMillis());
                    tag(w, op.tag());
                }));
        config.addSerializer(of(
                "modelmux.StoredCatalogEntry",
                StoredCatalogEntry.class,
                r -> new StoredCatalogEntry(r.readCompact("entry"), tag(r)),
                (w, e) -> {
                    w.writeCompact("entry", e.entry());
                    tag(w, e.tag());
                }));
        config.addSerializer(of(
                "modelmux.Copy",
                Copy.class,
                r -> new Copy(
                        r.readString("nodeId"),
                        r.readString("deviceId"),
                        Copy.State.valueOf(r.readString("state")),
                        r.readString("reason"),
                        r.readInt64("bytes"),
                        r.readInt64("lastUsedMillis"),
                        r.readFloat64("requestRate"),
                        longOr(r, "stateSinceMillis", 0),
                        r.readInt64("version")),
                (w, c) -> {
                    w.writeString("nodeId", c.nodeId());
                    w.writeString("deviceId", c.deviceId());
                    w.writeString("state", c.state().name());
                    w.writeString("reason", c.reason());
                    w.writeInt64("bytes", c.bytes());
                    w.writeInt64("lastUsedMillis", c.lastUsedMillis());
                    w.writeFloat64("requestRate", c.requestRate());
                    w.writeInt64("stateSinceMillis", c.stateSinceMillis());
                    w.writeInt64("version", c.version());
                }));
        config.addSerializer(of(
                "modelmux.StoredCopies",
                StoredCopies.class,
                r -> new StoredCopies(list(r.readArrayOfCompact("copies", Copy.class)), tag(r)),
                (w, s) -> {
                    w.writeArrayOfCompact("copies", s.copies().toArray(new Copy[0]));
                    tag(w, s.tag());
                }));
        config.addSerializer(of(
                "modelmux.CopyOp",
                CopyOp.class,
                r -> new CopyOp(
                        CopyOp.Kind.valueOf(r.readString("kind")),
                        r.readString("nodeId"),
                        r.readString("deviceId"),
                        r.readInt64("bytes"),
                        r.readString("reason"),
                        r.readInt64("lastUsedMillis"),
                        r.readFloat64("requestRate"),
                        r.readInt64("nowMillis"),
                        tag(r)),
                (w, op) -> {
                    tag(w, op.tag());
                    w.writeString("kind", op.kind().name());
                    w.writeString("nodeId", op.nodeId());
                    w.writeString("deviceId", op.deviceId());
                    w.writeInt64("bytes", op.bytes());
                    w.writeString("reason", op.reason());
                    w.writeInt64("lastUsedMillis", op.lastUsedMillis());
                    w.writeFloat64("requestRate", op.requestRate());
                    w.writeInt64("nowMillis", op.nowMillis());
                }));
        config.addSerializer(of(
                "modelmux.Holding",
                Holding.class,
                r -> new Holding(r.readCompact("key"), r.readCompact("copy")),
                (w, h) -> {
                    w.writeCompact("key", h.key());
                    w.writeCompact("copy", h.copy());
                }));
        config.addSerializer(of(
                "modelmux.Reassert",
                Reassert.class,
                r -> new Reassert(
                        r.readString("nodeId"),
                        list(r.readArrayOfCompact("holdings", Holding.class)),
                        r.readInt64("asOfMillis"),
                        tag(r)),
                (w, p) -> {
                    tag(w, p.tag());
                    w.writeString("nodeId", p.nodeId());
                    w.writeArrayOfCompact("holdings", p.holdings().toArray(new Holding[0]));
                    w.writeInt64("asOfMillis", p.asOfMillis());
                }));
        config.addSerializer(of(
                "modelmux.SharedDocument",
                SharedDocument.class,
                r -> new SharedDocument(
                        r.readString("name"),
                        r.readInt64("version"),
                        r.readString("text"),
                        r.readString("updatedBy"),
                        r.readInt64("updatedAtMillis"),
                        r.readString("note")),
                (w, d) -> {
                    w.writeString("name", d.name());
                    w.writeInt64("version", d.version());
                    w.writeString("text", d.text());
                    w.writeString("updatedBy", d.updatedBy());
                    w.writeInt64("updatedAtMillis", d.updatedAtMillis());
                    w.writeString("note", d.note());
                }));
        config.addSerializer(of(
                "modelmux.StoredDocument",
                StoredDocument.class,
                r -> new StoredDocument(r.readCompact("document"), tag(r)),
                (w, d) -> {
                    w.writeCompact("document", d.document());
                    tag(w, d.tag());
                }));
        config.addSerializer(of(
                "modelmux.StoredFlag",
                StoredFlag.class,
                r -> new StoredFlag(r.readInt64("sinceMillis"), tag(r)),
                (w, f) -> {
                    w.writeInt64("sinceMillis", f.sinceMillis());
                    tag(w, f.tag());
                }));
        config.addSerializer(of(
                "modelmux.DocumentOp",
                DocumentOp.class,
                r -> new DocumentOp(
                        r.readInt64("expectedVersion"),
                        r.readString("text"),
                        r.readString("note"),
                        r.readString("writer"),
                        r.readInt64("nowMillis"),
                        tag(r)),
                (w, op) -> {
                    tag(w, op.tag());
                    w.writeInt64("expectedVersion", op.expectedVersion());
                    w.writeString("text", op.text());
                    w.writeString("note", op.note());
                    w.writeString("writer", op.writer());
                    w.writeInt64("nowMillis", op.nowMillis());
                }));
        config.addSerializer(of(
                "modelmux.DocumentOutcome",
                DocumentOutcome.class,
                r -> new DocumentOutcome(r.readBoolean("written"), r.readCompact("document")),
                (w, o) -> {
                    w.writeBoolean("written", o.written());
                    w.writeCompact("document", o.document());
                }));
        config.addSerializer(of(
                "modelmux.FeatureValue",
                FeatureValue.class,
                r -> new FeatureValue(r.readFloat64("value"), r.readInt64("updatedAtMillis")),
                (w, v) -> {
                    w.writeFloat64("value", v.value());
                    w.writeInt64("updatedAtMillis", v.updatedAtMillis());
                }));
        config.addSerializer(of(
                "modelmux.StoredFeature",
                StoredFeature.class,
                r -> new StoredFeature(r.readFloat64("value"), r.readInt64("updatedAtMillis"), tag(r)),
                (w, v) -> {
                    w.writeFloat64("value", v.value());
                    w.writeInt64("updatedAtMillis", v.updatedAtMillis());
                    tag(w, v.tag());
                }));
        registerEvents(config);
    }

    /** The operators' timeline entry; its kind travels as the enum's name. */
    private static void registerEvents(CompactSerializationConfig config) {
        config.addSerializer(of(
                "modelmux.MeshEvent",
                MeshEvent.class,
                r -> new MeshEvent(
                        r.readInt64("atMillis"),
                        MeshEvent.Kind.valueOf(r.readString("kind")),
                        r.readString("nodeId"),
                        r.readString("deviceId"),
                        r.readString("model"),
                        r.readInt64("version"),
                        r.readInt64("bytes"),
                        r.readInt64("millis"),
                        r.readString("actor"),
                        r.readString("detail")),
                (w, e) -> {
                    w.writeInt64("atMillis", e.atMillis());
                    w.writeString("kind", e.kind().name());
                    w.writeString("nodeId", e.nodeId());
                    w.writeString("deviceId", e.deviceId());
                    w.writeString("model", e.model());
                    w.writeInt64("version", e.version());
                    w.writeInt64("bytes", e.bytes());
                    w.writeInt64("millis", e.millis());
                    w.writeString("actor", e.actor());
                    w.writeString("detail", e.detail());
                }));
        config.addSerializer(of(
                "modelmux.StoredEvent",
                StoredEvent.class,
                r -> new StoredEvent(r.readCompact("event"), tag(r)),
                (w, e) -> {
                    w.writeCompact("event", e.event());
                    tag(w, e.tag());
                }));
    }

    /** Reads the tag field: null when absent or empty (such a value never verifies). */
    static Tag tag(CompactReader reader) {
        if (reader.getFieldKind("tag") != FieldKind.ARRAY_OF_INT8) {
            return null;
        }
        byte[] bytes = reader.readArrayOfInt8("tag");
        return bytes == null || bytes.length == 0 ? null : new Tag(bytes);
    }

    static void tag(CompactWriter writer, Tag tag) {
        writer.writeArrayOfInt8("tag", tag == null ? null : tag.bytes());
    }

    /** Reads an int64 field a writer of an older schema may not have written. */
    static long longOr(CompactReader reader, String field, long absent) {
        return reader.getFieldKind(field) == FieldKind.INT64 ? reader.readInt64(field) : absent;
    }

    private static <T> List<T> list(T[] array) {
        return array == null ? List.of() : Arrays.asList(array);
    }

    private static <T> CompactSerializer<T> of(
            String typeName, Class<T> type, Function<CompactReader, T> read, BiConsumer<CompactWriter, T> write) {
        return new CompactSerializer<>() {
            @Override
            public T read(CompactReader reader) {
                return read.apply(reader);
            }

            @Override
            public void write(CompactWriter writer, T object) {
                write.accept(writer, object);
            }

            @Override
            public String getTypeName() {
                return typeName;
            }

            @Override
            public Class<T> getCompactClass() {
                return type;
            }
        };
    }
}
