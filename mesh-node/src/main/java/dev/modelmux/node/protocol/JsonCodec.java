package dev.modelmux.node.protocol;

import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.path.Classifications;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.tensors.Codecs;
import dev.modelmux.node.tensors.Half;
import dev.modelmux.node.tensors.Shapes;
import dev.modelmux.node.tensors.TensorLimits;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

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

    /** A decoded REST request and how its outputs are to be sent back. */
    public record RestRequest(
            InferRequest request, Set<String> binaryOutputs, Set<String> jsonOutputs, boolean allBinary) {
        /**
         * Whether output {@code name} goes back as binary data (Triton's binary tensor data extension):
         * its own {@code binary_data} parameter decides, else the request's {@code binary_data_output}.
         */
        public boolean binary(String name) {
            return binaryOutputs.contains(name) || allBinary && !jsonOutputs.contains(name);
        }
    }

    /** Decodes a request whose JSON part has no binary section. */
    public InferRequest decode(String model, String version, JsonObject body, long deadlineNanos) {
        return decode(model, version, new HttpBody(body, ByteBuffer.allocate(0)), deadlineNanos)
                .request();
    }

    /**
     * Decodes a request: inputs from JSON {@code data} or, when an input carries the parameter
     * {@code binary_data_size}, from the next that many bytes of the binary section (in input order;
     * every byte of it must be claimed); outputs with the parameter {@code binary_data} (or all, with
     * the request parameter {@code binary_data_output}) are to be answered as binary data.
     */
    public RestRequest decode(String model, String version, HttpBody http, long deadlineNanos) {
        JsonObject body = http.header();
        ByteBuffer binary = http.binary().duplicate();
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
                        || d instanceof Double && !Double.isFinite((Double) d)
                        || d instanceof BigInteger bi && bi.bitLength() > 63
                        || d instanceof BigDecimal
                        || (d instanceof Double || d instanceof Float)
                                && Math.abs(n.doubleValue()) > 9.007199254740992E15) {
                    throw ServingException.invalid(
                            "input '" + name + "': shape must be a list of integers within the int64 range");
                }
                shape.add(n.longValue());
            }
            long elements = Shapes.elementCount(name, shape, limits);
            JsonObject inParams = parameters(in, "input '" + name + "'");
            if (inParams.containsKey("binary_data_size")) {
                if (in.containsKey("data")) {
                    throw ServingException.invalid(
                            "input '" + name + "' has both 'data' and the parameter binary_data_size; send one");
                }
                long size =
                        wholeNumber(inParams.getValue("binary_data_size"), "input '" + name + "': binary_data_size");
                if (size > binary.remaining()) {
                    throw ServingException.invalid("input '" + name + "': binary_data_size " + size + " but only "
                            + binary.remaining() + " bytes of binary data remain after the JSON header"
                            + (http.binary().remaining() == 0 ? " (send Inference-Header-Content-Length)" : ""));
                }
                ByteBuffer slice = binary.slice().limit((int) size);
                binary.position(binary.position() + (int) size);
                decoded.add(binaryTensor(name, type, Shapes.toArray(shape), elements, slice));
                continue;
            }
            Object data = in.getValue("data");
            if (!(data instanceof JsonArray arr)) {
                throw ServingException.invalid("input '" + name + "': 'data' must be an array");
            }
            List<Object> flat;
            if (arr.getList() instanceof JsonBodyParser.PackedData packed) {
                // Read into primitive arrays as the body was parsed (already flat).
                if (packed.depth() > 33) {
                    throw ServingException.invalid("input '" + name + "': data is nested too deeply");
                }
                if (packed.size() > elements) {
                    throw ServingException.invalid("input '" + name + "': data has more values than its shape");
                }
                flat = packed;
            } else {
                flat = new ArrayList<>();
                flatten(name, arr, flat, elements, 0);
            }
            if (flat.size() != elements) {
                throw ServingException.invalid("input '" + name + "': data has " + flat.size() + " values but shape "
                        + shape + " needs " + elements);
            }
            decoded.add(toTensor(name, type, Shapes.toArray(shape), flat));
        }
        if (binary.hasRemaining()) {
            throw ServingException.invalid(binary.remaining() + " bytes of binary data after the JSON header are not"
                    + " claimed by any input's binary_data_size");
        }
        JsonObject requestParams = parameters(body, "the request");
        boolean allBinary = bool(requestParams.getValue("binary_data_output"), "parameter binary_data_output");
        Map<String, Integer> classifications = new HashMap<>();
        Set<String> binaryOutputs = new HashSet<>();
        Set<String> jsonOutputs = new HashSet<>();
        List<String> outputs = new ArrayList<>();
        JsonArray outs = body.getValue("outputs") == null ? new JsonArray() : array(body, "outputs");
        for (int i = 0; i < outs.size(); i++) {
            if (!(outs.getValue(i) instanceof JsonObject o)) {
                throw ServingException.invalid("outputs[" + i + "] must be an object");
            }
            String name = string(o, "name", "outputs[" + i + "]");
            JsonObject p = parameters(o, "output '" + name + "'");
            if (p.containsKey("classification")) {
                Object c = p.getValue("classification");
                classifications.put(
                        name,
                        Classifications.count(
                                name, c instanceof Integer || c instanceof Long ? ((Number) c).longValue() : -1));
            }
            if (p.containsKey("binary_data")) {
                (bool(p.getValue("binary_data"), "output '" + name + "': binary_data") ? binaryOutputs : jsonOutputs)
                        .add(name);
            }
            if (outputs.contains(name)) {
                throw ServingException.invalid(
                        "output '" + ModelNames.printable(name) + "' is requested more than once");
            }
            outputs.add(name);
        }
        Object id = body.getValue("id");
        InferRequest req = new InferRequest(
                model,
                version == null ? "" : version,
                id == null ? "" : String.valueOf(id),
                decoded,
                outputs,
                requestParams.getMap(),
                deadlineNanos,
                null,
                classifications);
        return new RestRequest(req, Set.copyOf(binaryOutputs), Set.copyOf(jsonOutputs), allBinary);
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

    /**
     * A response body: JSON, or (when an output goes back as binary data) {@code headerLength} bytes
     * of JSON followed by those outputs' bytes in output order.
     */
    public record Encoded(Buffer body, int headerLength) {
        public boolean binary() {
            return headerLength >= 0;
        }
    }

    /**
     * Encodes a response with {@code params} as its parameters; outputs {@code binary} selects are sent
     * as binary data (the parameter {@code binary_data_size} instead of {@code data}).
     */
    public Encoded encode(
            String model,
            long version,
            String id,
            InferenceResult result,
            Map<String, Object> params,
            Predicate<String> binary) {
        List<ByteBuffer> blobs = new ArrayList<>();
        JsonObject o = encode(model, version, id, result, binary, blobs);
        Buffer header = withParameters(o, params).toBuffer();
        if (blobs.isEmpty()) {
            return new Encoded(header, -1);
        }
        Buffer body = Buffer.buffer(
                header.length() + blobs.stream().mapToInt(ByteBuffer::remaining).sum());
        body.appendBuffer(header);
        for (ByteBuffer b : blobs) {
            byte[] a = new byte[b.remaining()];
            b.get(a);
            body.appendBytes(a);
        }
        return new Encoded(body, header.length());
    }

    public JsonObject encode(String model, long version, String id, InferenceResult result) {
        return encode(model, version, id, result, name -> false, new ArrayList<>());
    }

    /** The JSON part; the bytes of outputs {@code binary} selects are added to {@code blobs} instead of {@code data}. */
    private static JsonObject encode(
            String model,
            long version,
            String id,
            InferenceResult result,
            Predicate<String> binary,
            List<ByteBuffer> blobs) {
        JsonArray outputs = new JsonArray();
        for (TensorData t : result.outputs()) {
            JsonArray shape = new JsonArray();
            for (long d : t.shape()) {
                shape.add(d);
            }
            JsonObject out = new JsonObject()
                    .put("name", t.name())
                    .put("datatype", t.type().protocolName())
                    .put("shape", shape);
            if (binary.test(t.name())) {
                ByteBuffer bytes = t.type() == DataType.BYTES
                        ? ByteBuffer.wrap(Codecs.joinLengthPrefixed(t.strings()))
                        : t.raw().duplicate();
                out.put("parameters", new JsonObject().put("binary_data_size", bytes.remaining()));
                blobs.add(bytes);
            } else {
                out.put("data", data(t));
            }
            outputs.add(out);
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

    private static TensorData binaryTensor(String name, DataType type, long[] shape, long elements, ByteBuffer bytes) {
        if (type == DataType.BYTES) {
            return TensorData.ofStrings(name, shape, Codecs.splitLengthPrefixed(name, bytes, elements));
        }
        long expected = elements * type.byteSize();
        if (bytes.remaining() != expected) {
            throw ServingException.invalid("input '" + name + "': binary_data_size " + bytes.remaining()
                    + " does not match its shape " + Shapes.str(shape) + " of " + type + " (" + expected + " bytes)");
        }
        return TensorData.ofRaw(name, type, shape, bytes.order(ByteOrder.LITTLE_ENDIAN));
    }

    private static JsonObject parameters(JsonObject o, String where) {
        Object p = o.getValue("parameters");
        if (p == null) {
            return new JsonObject();
        }
        if (!(p instanceof JsonObject po)) {
            throw ServingException.invalid(where + ": 'parameters' must be an object");
        }
        return po;
    }

    private static long wholeNumber(Object v, String what) {
        if (!(v instanceof Number n)
                || v instanceof Double d && (d != Math.rint(d) || !Double.isFinite(d))
                || v instanceof Float
                || v instanceof BigDecimal
                || v instanceof BigInteger bi && bi.bitLength() > 31
                || n.longValue() < 0
                || n.longValue() > Integer.MAX_VALUE) {
            throw ServingException.invalid(what + " must be a whole number of bytes in [0, " + Integer.MAX_VALUE + "]");
        }
        return n.longValue();
    }

    private static boolean bool(Object v, String what) {
        if (v == null) {
            return false;
        }
        if (!(v instanceof Boolean b)) {
            throw ServingException.invalid(what + " must be true or false");
        }
        return b;
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
