package dev.modelmux.node.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * Parses an inference request's JSON into Vert.x's tree, except that each input's {@code data} is read
 * straight into primitive arrays ({@link PackedData}): a tensor of n numbers costs about 9n bytes instead of
 * a boxed object per value (about 9 times the JSON's own size), and nested arrays are flattened as they
 * are read. Everything else, and what the codec sees, is as Vert.x's own parser makes it: integers as
 * Integer, Long or BigInteger, other numbers as Double, comments allowed, no trailing tokens.
 */
final class JsonBodyParser {
    private static final JsonFactory FACTORY =
            JsonFactory.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();
    private static final int MAX_DEPTH = 1000; // Jackson's own nesting bound

    private final JsonParser p;

    private JsonBodyParser(JsonParser p) {
        this.p = p;
    }

    /** @throws DecodeException when the bytes are not one JSON object */
    static JsonObject parse(byte[] bytes, int offset, int length) {
        try (JsonParser p = FACTORY.createParser(bytes, offset, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new DecodeException("not a JSON object");
            }
            JsonObject o = new JsonBodyParser(p).object(0, Where.ROOT);
            if (p.nextToken() != null) {
                throw new DecodeException("unexpected trailing token");
            }
            return o;
        } catch (IOException e) {
            throw new DecodeException(e.getMessage());
        }
    }

    /** Where in the request the parser is: only {@code inputs[i].data} is packed. */
    private enum Where {
        ROOT,
        INPUTS,
        INPUT,
        OTHER
    }

    private JsonObject object(int depth, Where where) throws IOException {
        depth(depth);
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken t = p.nextToken();
            if (where == Where.INPUT && key.equals("data") && t == JsonToken.START_ARRAY) {
                PackedData d = new PackedData();
                packed(d, depth + 1, 1);
                m.put(key, d);
            } else {
                Where next = where == Where.ROOT && key.equals("inputs") ? Where.INPUTS : Where.OTHER;
                m.put(key, value(t, depth + 1, next));
            }
        }
        return new JsonObject(m);
    }

    private Object value(JsonToken t, int depth, Where where) throws IOException {
        return switch (t) {
            case START_OBJECT -> object(depth, where == Where.INPUTS ? Where.INPUT : Where.OTHER);
            case START_ARRAY -> array(depth, where);
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT -> integer();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> throw new DecodeException("unexpected token " + t);
        };
    }

    private JsonArray array(int depth, Where where) throws IOException {
        depth(depth);
        List<Object> list = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new DecodeException("unexpected end of input");
            }
            list.add(value(t, depth + 1, where));
        }
        return new JsonArray(list);
    }

    private Object integer() throws IOException {
        return switch (p.getNumberType()) {
            case INT -> p.getIntValue();
            case LONG -> p.getLongValue();
            default -> p.getBigIntegerValue();
        };
    }

    /** Reads the rest of an array (and the arrays nested in it) into {@code d}, flattened. */
    private void packed(PackedData d, int depth, int nesting) throws IOException {
        depth(depth);
        d.depth = Math.max(d.depth, nesting);
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == null) {
                throw new DecodeException("unexpected end of input");
            }
            switch (t) {
                case START_ARRAY -> packed(d, depth + 1, nesting + 1);
                case VALUE_NUMBER_INT -> {
                    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                        d.addObject(p.getBigIntegerValue());
                    } else {
                        d.addLong(p.getLongValue());
                    }
                }
                case VALUE_NUMBER_FLOAT -> d.addDouble(p.getDoubleValue());
                case VALUE_TRUE -> d.addLong(1, PackedData.TRUE);
                case VALUE_FALSE -> d.addLong(0, PackedData.FALSE);
                case VALUE_STRING -> d.addObject(p.getText());
                case START_OBJECT -> d.addObject(object(depth + 1, Where.OTHER));
                case VALUE_NULL -> d.addObject(null);
                default -> throw new DecodeException("unexpected token " + t);
            }
        }
    }

    private static void depth(int depth) {
        if (depth > MAX_DEPTH) {
            throw new DecodeException("nested more than " + MAX_DEPTH + " deep");
        }
    }

    /**
     * A tensor's values as read, in primitive arrays: a kind byte and a long (the value, or a double's
     * bits) per value, and the rare others (strings, big integers) aside. As a list it boxes one value
     * at a time, as the codec asks for it, to what Vert.x's parser would have produced.
     */
    static final class PackedData extends AbstractList<Object> implements RandomAccess {
        static final byte LONG = 0;
        static final byte DOUBLE = 1;
        static final byte TRUE = 2;
        static final byte FALSE = 3;
        static final byte OBJECT = 4;

        private byte[] kinds = new byte[16];
        private long[] values = new long[16];
        private final List<Object> others = new ArrayList<>();
        private int size;
        private int depth;

        void addLong(long v) {
            addLong(v, LONG);
        }

        void addLong(long v, byte kind) {
            if (size == values.length) {
                int n = size + (size >> 1);
                kinds = Arrays.copyOf(kinds, n);
                values = Arrays.copyOf(values, n);
            }
            kinds[size] = kind;
            values[size++] = v;
        }

        void addDouble(double v) {
            addLong(Double.doubleToRawLongBits(v), DOUBLE);
        }

        void addObject(Object o) {
            addLong(others.size(), OBJECT);
            others.add(o);
        }

        @Override
        public Object get(int i) {
            if (i < 0 || i >= size) {
                throw new IndexOutOfBoundsException(i);
            }
            long v = values[i];
            if (kinds[i] == LONG) {
                // Not a conditional expression: it would promote the Integer to a Long.
                if (v == (int) v) {
                    return Integer.valueOf((int) v);
                }
                return Long.valueOf(v);
            }
            return switch (kinds[i]) {
                case DOUBLE -> Double.longBitsToDouble(v);
                case TRUE -> Boolean.TRUE;
                case FALSE -> Boolean.FALSE;
                default -> others.get((int) v);
            };
        }

        @Override
        public int size() {
            return size;
        }

        /** How deeply the arrays were nested (1: a flat array). */
        int depth() {
            return depth;
        }
    }
}
