package dev.modelmux.node.protocol;

import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.tensors.Codecs;
import dev.modelmux.node.tensors.Half;
import dev.modelmux.node.tensors.Shapes;
import dev.modelmux.node.tensors.TensorLimits;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Open Inference Protocol's REST/JSON form: {@code {"id", "parameters", "inputs": [{"name",
 * "shape", "datatype", "data"}], "outputs": [{"name"}]}}. {@code data} is row-major, flat or
 * nested; BYTES elements are strings; FP16/BF16 travel as numbers.
 */
public final class JsonCodec {
    private static final BigInteger U64_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private final TensorLimits limits;

    public JsonCodec(TensorLimits limits) {
        this.limits = limits;
    }

    public InferRequest decode(String model, String version, JsonObject body, long deadlineNanos) {
        JsonArray inputs = array(body, "inputs");
        List<TensorData> decoded = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (!(inputs.getValue(i) instanceof JsonObject in)) {
                throw ServingException.invalid("inputs[" + i + "] must be an object");
            }
            String name = string(in, "name", "inputs[" + i + "]");
            if (!names.add(name)) {
                throw ServingException.invalid("input '" + ModelNames.printable(name) + "' is given more than once");
            }
            DataType type = Codecs.datatype(name, string(in, "datatype", "input '" + name + "'"));
            JsonArray shapeJson = array(in, "shape");
            List<Long> shape = new ArrayList<>();
            for (Object d : shapeJson) {
                if (!(d instanceof Number n)
                        || n.doubleValue() != Math.rint(n.doubleValue())
                        || d instanceof Double && !Double.isFinite((Double) d)) {
                    throw ServingException.invalid("input '" + name + "': shape must be a list of integers");
                }
                shape.add(n.longValue());
            }
            long elements = Shapes.elementCount(name, shape, limits);
            Object data = in.getValue("data");
            if (!(data instanceof JsonArray arr)) {
                throw ServingException.invalid("input '" + name + "': 'data' must be an array");
            }
            List<Object> flat = new ArrayList<>();
            flatten(name, arr, flat, elements, 0);
            if (flat.size() != elements) {
                throw ServingException.invalid("input '" + name + "': data has " + flat.size() + " values but shape "
                        + shape + " needs " + elements);
            }
            decoded.add(toTensor(name, type, Shapes.toArray(shape), flat));
        }
        List<String> outputs = new ArrayList<>();
        JsonArray outs = body.getValue("outputs") == null ? new JsonArray() : array(body, "outputs");
        for (int i = 0; i < outs.size(); i++) {
            if (!(outs.getValue(i) instanceof JsonObject o)) {
                throw ServingException.invalid("outputs[" + i + "] must be an object");
            }
            JsonObject p = o.getValue("parameters") instanceof JsonObject po ? po : new JsonObject();
            if (p.containsKey("classification")) {
                throw ServingException.invalid("the classification extension is not supported");
            }
            String name = string(o, "name", "outputs[" + i + "]");
            if (outputs.contains(name)) {
                throw ServingException.invalid(
                        "output '" + ModelNames.printable(name) + "' is requested more than once");
            }
            outputs.add(name);
        }
        Object id = body.getValue("id");
        Object params = body.getValue("parameters");
        return new InferRequest(
                model,
                version == null ? "" : version,
                id == null ? "" : String.valueOf(id),
                decoded,
                outputs,
                params instanceof JsonObject po ? po.getMap() : Map.of(),
                deadlineNanos,
                null);
    }

    private static void flatten(String name, JsonArray arr, List<Object> out, long limit, int depth) {
        if (depth > 32) {
            throw ServingException.invalid("input '" + name + "': data is nested too deeply");
        }
        for (Object o : arr) {
            if (o instanceof JsonArray inner) {
                flatten(name, inner, out, limit, depth + 1);
            } else {
                if (out.size() >= limit) {
                    throw ServingException.invalid("input '" + name + "': data has more values than its shape");
                }
                out.add(o);
            }
        }
    }

    private static TensorData toTensor(String name, DataType type, long[] shape, List<Object> flat) {
        if (type == DataType.BYTES) {
            List<byte[]> strings = new ArrayList<>(flat.size());
            for (Object o : flat) {
                if (!(o instanceof String s)) {
                    throw ServingException.invalid("input '" + name + "': BYTES data must be strings");
                }
                strings.add(s.getBytes(StandardCharsets.UTF_8));
            }
            return TensorData.ofStrings(name, shape, strings);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.multiplyExact(flat.size(), type.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        for (Object o : flat) {
            if (type == DataType.BOOL) {
                if (!(o instanceof Boolean v)) {
                    throw ServingException.invalid("input '" + name + "': BOOL data must be true or false");
                }
                b.put((byte) (v ? 1 : 0));
                continue;
            }
            if (!(o instanceof Number n)) {
                throw ServingException.invalid("input '" + name + "': " + type + " data must be numbers");
            }
            switch (type) {
                case INT8 -> b.put((byte) Codecs.range(name, integral(name, n), Byte.MIN_VALUE, Byte.MAX_VALUE));
                case INT16 ->
                    b.putShort((short) Codecs.range(name, integral(name, n), Short.MIN_VALUE, Short.MAX_VALUE));
                case INT32 ->
                    b.putInt((int) Codecs.range(name, integral(name, n), Integer.MIN_VALUE, Integer.MAX_VALUE));
                case INT64 -> b.putLong(integral(name, n));
                case UINT8 -> b.put((byte) Codecs.range(name, integral(name, n), 0, 0xFF));
                case UINT16 -> b.putShort((short) Codecs.range(name, integral(name, n), 0, 0xFFFF));
                case UINT32 -> b.putInt((int) Codecs.range(name, integral(name, n), 0, 0xFFFFFFFFL));
                case UINT64 -> b.putLong(unsigned64(name, n));
                case FP32 -> b.putFloat(n.floatValue());
                case FP64 -> b.putDouble(n.doubleValue());
                case FP16 -> b.putShort(Half.fromFloat(n.floatValue()));
                case BF16 -> b.putShort((short) (Float.floatToIntBits(n.floatValue()) >>> 16));
                default -> throw new IllegalStateException(type.name());
            }
        }
        b.flip();
        return TensorData.ofRaw(name, type, shape, b);
    }

    private static long integral(String name, Number n) {
        if (n instanceof Double || n instanceof Float || n instanceof BigDecimal) {
            double d = n.doubleValue();
            if (d != Math.rint(d) || Math.abs(d) > 9.007199254740992E15) {
                throw ServingException.invalid("input '" + name + "': " + n + " is not an integer");
            }
            return (long) d;
        }
        if (n instanceof BigInteger bi) {
            if (bi.bitLength() > 63) {
                throw ServingException.invalid("input '" + name + "': " + bi + " is out of the int64 range");
            }
            return bi.longValue();
        }
        return n.longValue();
    }

    private static long unsigned64(String name, Number n) {
        BigInteger bi = n instanceof BigInteger b ? b : BigInteger.valueOf(integral(name, n));
        if (bi.signum() < 0 || bi.compareTo(U64_MAX) > 0) {
            throw ServingException.invalid("input '" + name + "': " + bi + " is out of the uint64 range");
        }
        return bi.longValue();
    }

    /** The response with {@code params} as its {@code parameters} object (nothing added when empty). */
    public static JsonObject withParameters(JsonObject response, Map<String, Object> params) {
        return params.isEmpty() ? response : response.put("parameters", new JsonObject(new TreeMap<>(params)));
    }

    public JsonObject encode(String model, long version, String id, InferenceResult result) {
        JsonArray outputs = new JsonArray();
        for (TensorData t : result.outputs()) {
            JsonArray shape = new JsonArray();
            for (long d : t.shape()) {
                shape.add(d);
            }
            outputs.add(new JsonObject()
                    .put("name", t.name())
                    .put("datatype", t.type().protocolName())
                    .put("shape", shape)
                    .put("data", data(t)));
        }
        JsonObject o = new JsonObject().put("model_name", model).put("model_version", Long.toString(version));
        if (id != null && !id.isEmpty()) {
            o.put("id", id);
        }
        return o.put("outputs", outputs);
    }

    private static JsonArray data(TensorData t) {
        JsonArray a = new JsonArray();
        if (t.type() == DataType.BYTES) {
            t.strings().forEach(s -> a.add(new String(s, StandardCharsets.UTF_8)));
            return a;
        }
        ByteBuffer b = t.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            switch (t.type()) {
                case BOOL -> a.add(b.get() != 0);
                case INT8 -> a.add(b.get());
                case UINT8 -> a.add(b.get() & 0xFF);
                case INT16 -> a.add(b.getShort());
                case UINT16 -> a.add(b.getShort() & 0xFFFF);
                case INT32 -> a.add(b.getInt());
                case UINT32 -> a.add(Integer.toUnsignedLong(b.getInt()));
                case INT64 -> a.add(b.getLong());
                case UINT64 -> a.add(new BigInteger(Long.toUnsignedString(b.getLong())));
                case FP32 -> a.add(b.getFloat());
                case FP64 -> a.add(b.getDouble());
                case FP16 -> a.add(Half.toFloat(b.getShort()));
                case BF16 -> a.add(Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16));
                default -> throw new IllegalStateException(t.type().name());
            }
        }
        return a;
    }

    private static JsonArray array(JsonObject o, String key) {
        Object v = o.getValue(key);
        if (!(v instanceof JsonArray a)) {
            throw ServingException.invalid("'" + key + "' must be an array");
        }
        return a;
    }

    private static String string(JsonObject o, String key, String where) {
        Object v = o.getValue(key);
        if (!(v instanceof String s) || s.isEmpty()) {
            throw ServingException.invalid(where + ": '" + key + "' must be a non-empty string");
        }
        return s;
    }
}
