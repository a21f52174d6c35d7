package dev.modelmux.gpu.internal;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.TensorSpec;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Conversions between {@link TensorData} and ONNX Runtime's tensors and signatures. */
final class Tensors {

    /** The element types ONNX Runtime's Java binding can create; BYTES goes through String tensors. */
    private static final Map<DataType, OnnxJavaType> JAVA_TYPES = new EnumMap<>(Map.of(
            DataType.BOOL, OnnxJavaType.BOOL,
            DataType.UINT8, OnnxJavaType.UINT8,
            DataType.INT8, OnnxJavaType.INT8,
            DataType.INT16, OnnxJavaType.INT16,
            DataType.INT32, OnnxJavaType.INT32,
            DataType.INT64, OnnxJavaType.INT64,
            DataType.FP16, OnnxJavaType.FLOAT16,
            DataType.BF16, OnnxJavaType.BFLOAT16,
            DataType.FP32, OnnxJavaType.FLOAT,
            DataType.FP64, OnnxJavaType.DOUBLE));

    private static final Map<TensorInfo.OnnxTensorType, DataType> ONNX_TYPES =
            new EnumMap<>(TensorInfo.OnnxTensorType.class);

    static {
        String prefix = "ONNX_TENSOR_ELEMENT_DATA_TYPE_";
        Map<String, DataType> byOrtName = Map.ofEntries(
                Map.entry("BOOL", DataType.BOOL),
                Map.entry("UINT8", DataType.UINT8),
                Map.entry("UINT16", DataType.UINT16),
                Map.entry("UINT32", DataType.UINT32),
                Map.entry("UINT64", DataType.UINT64),
                Map.entry("INT8", DataType.INT8),
                Map.entry("INT16", DataType.INT16),
                Map.entry("INT32", DataType.INT32),
                Map.entry("INT64", DataType.INT64),
                Map.entry("FLOAT16", DataType.FP16),
                Map.entry("FLOAT", DataType.FP32),
                Map.entry("DOUBLE", DataType.FP64),
                Map.entry("STRING", DataType.BYTES),
                Map.entry("BFLOAT16", DataType.BF16));
        for (TensorInfo.OnnxTensorType t : TensorInfo.OnnxTensorType.values()) {
            DataType d = byOrtName.get(t.name().substring(prefix.length()));
            if (d != null) {
                ONNX_TYPES.put(t, d);
            }
        }
        // Raw tensors are little-endian by contract and ONNX Runtime reads native memory as is.
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new ExceptionInInitializerError("modelmux needs a little-endian host");
        }
    }

    private Tensors() {}

    /** Whether inputs of {@code type} can be handed to the runtime. */
    static boolean creatable(DataType type) {
        return type == DataType.BYTES || JAVA_TYPES.containsKey(type);
    }

    /**
     * Builds a runtime tensor from {@code t}; the caller closes it.
     *
     * @throws InferenceException (bad input) for types the runtime cannot take or sizes that do not
     *     match the shape
     */
    static OnnxTensor toOrt(OrtEnvironment env, TensorData t) throws OrtException {
        long[] shape = t.shape();
        long elements = t.elementCount();
        if (t.type() == DataType.BYTES) {
            List<byte[]> strings = t.strings();
            if (strings.size() != elements) {
                throw badInput(
                        "input '%s': %d strings for shape %s (%d elements)",
                        t.name(), strings.size(), Arrays.toString(shape), elements);
            }
            String[] values = new String[strings.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = new String(strings.get(i), StandardCharsets.UTF_8);
            }
            return OnnxTensor.createTensor(env, values, shape);
        }
        OnnxJavaType javaType = JAVA_TYPES.get(t.type());
        if (javaType == null) {
            throw badInput("input '%s': element type %s is not supported by the runtime", t.name(), t.type());
        }
        ByteBuffer raw = t.raw();
        long expected = elements * t.type().byteSize();
        if (raw.remaining() != expected) {
            throw badInput(
                    "input '%s': %d bytes for shape %s of %s (expected %d)",
                    t.name(), raw.remaining(), Arrays.toString(shape), t.type(), expected);
        }
        // ONNX Runtime's Java binding takes multi-byte types from a ByteBuffer only when it is direct
        // (heap buffers fail a cast inside it); a direct buffer is also used without a second copy.
        ByteBuffer direct;
        if (raw.isDirect()) {
            direct = raw.slice();
        } else {
            direct = ByteBuffer.allocateDirect(raw.remaining());
            direct.put(raw.duplicate()).flip();
        }
        return OnnxTensor.createTensor(env, direct.order(ByteOrder.LITTLE_ENDIAN), shape, javaType);
    }

    /** Converts one runtime output to {@link TensorData}: little-endian raw bytes, or UTF-8 strings. */
    static TensorData fromOrt(String name, OnnxValue value) throws OrtException {
        if (!(value instanceof OnnxTensor tensor)) {
            throw new InferenceException(
                    "output '" + name + "' is a " + value.getType() + ", not a tensor; only tensor outputs are served",
                    false,
                    null);
        }
        TensorInfo info = tensor.getInfo();
        DataType type = dataType(info.onnxType)
                .orElseThrow(() -> new InferenceException(
                        "output '" + name + "' has element type " + info.onnxType + ", which is not served",
                        false,
                        null));
        long[] shape = info.getShape();
        if (type == DataType.BYTES) {
            List<byte[]> strings = new ArrayList<>();
            flattenStrings(tensor.getValue(), strings);
            return TensorData.ofStrings(name, shape, strings);
        }
        ByteBuffer bytes = tensor.getByteBuffer();
        if (bytes == null) {
            throw new InferenceException("output '" + name + "' could not be read from the runtime", false, null);
        }
        return TensorData.ofRaw(name, type, shape, bytes.order(ByteOrder.LITTLE_ENDIAN));
    }

    private static void flattenStrings(Object value, List<byte[]> out) {
        if (value instanceof String s) {
            out.add(s.getBytes(StandardCharsets.UTF_8));
        } else if (value != null && value.getClass().isArray()) {
            int n = Array.getLength(value);
            for (int i = 0; i < n; i++) {
                flattenStrings(Array.get(value, i), out);
            }
        }
    }

    /**
     * The element type of a runtime tensor. Mapped by name: {@code OnnxTensorType.value} is the
     * Java binding's own numbering, not ONNX's {@code TensorProto.DataType}.
     */
    static Optional<DataType> dataType(TensorInfo.OnnxTensorType onnxType) {
        return Optional.ofNullable(ONNX_TYPES.get(onnxType));
    }

    /**
     * The signature of one runtime input or output, {@code -1} for symbolic dims; empty with a reason
     * when it is not a tensor of a type modelmux serves.
     */
    static TensorSpec spec(NodeInfo node) throws SignatureException {
        if (!(node.getInfo() instanceof TensorInfo info)) {
            throw new SignatureException("'" + node.getName() + "' is not a tensor (" + node.getInfo() + ")");
        }
        DataType type = dataType(info.onnxType)
                .orElseThrow(() -> new SignatureException(
                        "'" + node.getName() + "' has element type " + info.onnxType + ", which is not served"));
        long[] dims = info.getShape();
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                dims[i] = -1;
            }
        }
        return new TensorSpec(node.getName(), type, dims);
    }

    /** A runtime tensor that modelmux cannot serve. */
    static final class SignatureException extends Exception {
        private static final long serialVersionUID = 1L;

        SignatureException(String message) {
            super(message);
        }
    }

    private static InferenceException badInput(String format, Object... args) {
        return new InferenceException(String.format(format, args), true, null);
    }
}
