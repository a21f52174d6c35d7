package dev.modelmux.node.protocol;

import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MapEntry;
import com.google.protobuf.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Base64;
import java.util.List;

/**
 * A protobuf message as Triton's REST API writes it (its {@code ModelConfig} JSON, which
 * {@code perf_analyzer} and {@code tritonclient.http} read): field names as in the .proto
 * ({@code max_batch_size}), every field without presence printed even at its default (scalars, enums,
 * repeated fields as {@code []}, maps as {@code {}}), enums by name, 64-bit integers as JSON numbers
 * (not the strings of protobuf's canonical mapping), bytes in base64; unset message fields left out.
 */
public final class ProtoJson {
    private ProtoJson() {}

    public static JsonObject toJson(Message m) {
        JsonObject o = new JsonObject();
        for (FieldDescriptor f : m.getDescriptorForType().getFields()) {
            boolean present = f.isRepeated() || !f.hasPresence() || m.hasField(f);
            if (!present) {
                continue;
            }
            if (f.isMapField()) {
                JsonObject map = new JsonObject();
                for (Object e : (List<?>) m.getField(f)) {
                    Message entry = (Message) e;
                    Object key = entry instanceof MapEntry<?, ?> me ? me.getKey() : entry.getField(keyField(entry));
                    Object value =
                            entry instanceof MapEntry<?, ?> me2 ? me2.getValue() : entry.getField(valueField(entry));
                    map.put(String.valueOf(key), value(valueField(entry), value));
                }
                o.put(f.getName(), map);
            } else if (f.isRepeated()) {
                JsonArray a = new JsonArray();
                for (Object v : (List<?>) m.getField(f)) {
                    a.add(value(f, v));
                }
                o.put(f.getName(), a);
            } else {
                o.put(f.getName(), value(f, m.getField(f)));
            }
        }
        return o;
    }

    private static FieldDescriptor keyField(Message entry) {
        return entry.getDescriptorForType().findFieldByNumber(1);
    }

    private static FieldDescriptor valueField(Message entry) {
        return entry.getDescriptorForType().findFieldByNumber(2);
    }

    private static Object value(FieldDescriptor f, Object v) {
        return switch (f.getJavaType()) {
            case MESSAGE -> toJson((Message) v);
            case ENUM -> ((EnumValueDescriptor) v).getName();
            case BYTE_STRING -> Base64.getEncoder().encodeToString(((ByteString) v).toByteArray());
            case INT, LONG, FLOAT, DOUBLE, BOOLEAN, STRING -> unsignedAware(f, v);
        };
    }

    private static Object unsignedAware(FieldDescriptor f, Object v) {
        return switch (f.getType()) {
            case UINT32, FIXED32 -> Integer.toUnsignedLong((Integer) v);
            case UINT64, FIXED64 -> (Long) v >= 0 ? v : new java.math.BigInteger(Long.toUnsignedString((Long) v));
            default -> v;
        };
    }
}
