package dev.modelmux.node.features.internal;

import dev.modelmux.cluster.FeatureTable;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Parses feature uploads: {@code {"features": [{"entity_id": "e1", "values": {"user.age": 31}}]}}
 * or JSON lines with one {@code {"entity_id": ..., "values": {...}}} per line (blank lines
 * ignored). Names must match {@link FeatureTable#NAME}, values must be finite JSON numbers; a bad
 * one fails with an {@link IllegalArgumentException} naming where it is ({@code
 * features[2].values.user.age}, {@code line 3: values.user.age}).
 */
public final class FeatureBatch {
    private FeatureBatch() {}

    /** Entity id to (feature name to value); an entity given twice merges, the later value winning. */
    public static Map<String, Map<String, Double>> parse(String text) {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        String trimmed = text.strip();
        JsonObject doc = null;
        if (trimmed.startsWith("{")) {
            try {
                doc = new JsonObject(trimmed);
            } catch (DecodeException e) {
                doc = null; // several lines: JSON lines
            }
        }
        if (doc != null && doc.containsKey("features")) {
            for (String k : doc.fieldNames()) {
                if (!k.equals("features")) {
                    throw new IllegalArgumentException(k + ": unknown field; the body is {\"features\": [...]}");
                }
            }
            if (!(doc.getValue("features") instanceof JsonArray list)) {
                throw new IllegalArgumentException(
                        "features: must be a list of {\"entity_id\": ..., \"values\": {...}}");
            }
            for (int i = 0; i < list.size(); i++) {
                String where = "features[" + i + "]";
                if (!(list.getValue(i) instanceof JsonObject o)) {
                    throw new IllegalArgumentException(
                            where + ": must be an object {\"entity_id\": ..., \"values\": {...}}");
                }
                entity(o, where + ".", out::put, out);
            }
            return out;
        }
        try (BufferedReader r = new BufferedReader(new StringReader(text))) {
            lines(r, out::put, out);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /**
     * Reads JSON lines from {@code reader}, handing each entity to {@code sink} as it is read (a
     * file of any size streams through).
     *
     * @return how many entities were read
     */
    public static int lines(BufferedReader reader, Consumer<Map.Entry<String, Map<String, Double>>> sink)
            throws IOException {
        return lines(reader, (id, values) -> sink.accept(Map.entry(id, values)), null);
    }

    private static int lines(
            BufferedReader reader,
            BiConsumer<String, Map<String, Double>> sink,
            Map<String, Map<String, Double>> merged)
            throws IOException {
        int n = 0;
        int lineNo = 0;
        for (String line; (line = reader.readLine()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonObject o;
            try {
                o = new JsonObject(line.strip());
            } catch (DecodeException | ClassCastException e) {
                throw new IllegalArgumentException(
                        "line " + lineNo + ": not a JSON object; each line is {\"entity_id\": ..., \"values\": {...}}");
            }
            entity(o, "line " + lineNo + ": ", sink, merged);
            n++;
        }
        return n;
    }

    private static void entity(
            JsonObject o,
            String where,
            BiConsumer<String, Map<String, Double>> sink,
            Map<String, Map<String, Double>> merged) {
        for (String k : o.fieldNames()) {
            if (!k.equals("entity_id") && !k.equals("values")) {
                throw new IllegalArgumentException(where + k + ": unknown field; expected entity_id and values");
            }
        }
        Object id = o.getValue("entity_id");
        if (!(id instanceof String entityId) || !FeatureTable.validName(entityId)) {
            throw new IllegalArgumentException(
                    where + "entity_id: required, a string matching " + FeatureTable.NAME.pattern());
        }
        if (!(o.getValue("values") instanceof JsonObject values)) {
            throw new IllegalArgumentException(where + "values: required, an object of feature name to number");
        }
        Map<String, Double> parsed = new LinkedHashMap<>();
        for (String name : values.fieldNames()) {
            if (!FeatureTable.validName(name)) {
                throw new IllegalArgumentException(where + "values: feature name '" + printable(name) + "' must match "
                        + FeatureTable.NAME.pattern());
            }
            Object v = values.getValue(name);
            double d = v instanceof Number num ? toDouble(num) : Double.NaN;
            if (!Double.isFinite(d)) {
                throw new IllegalArgumentException(where + "values." + name + ": must be a finite number");
            }
            parsed.put(name, d);
        }
        if (merged != null && merged.containsKey(entityId)) {
            merged.get(entityId).putAll(parsed);
        } else {
            sink.accept(entityId, parsed);
        }
    }

    private static double toDouble(Number n) {
        return n instanceof BigDecimal b ? b.doubleValue() : n.doubleValue();
    }

    private static String printable(String s) {
        String m = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return m.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
