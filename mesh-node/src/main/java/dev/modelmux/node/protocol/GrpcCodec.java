package dev.modelmux.node.protocol;

import com.google.protobuf.ByteString;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.InferTensorContents;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.path.Classifications;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.tensors.Codecs;
import dev.modelmux.node.tensors.Shapes;
import dev.modelmux.node.tensors.TensorLimits;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelNames;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Decodes Open Inference Protocol gRPC requests into {@link InferRequest}s, checking everything
 * that does not need the model (datatypes, shapes, overflow, exact byte counts, one encoding
 * per input), and encodes results as {@code raw_output_contents}.
 */
public final class GrpcCodec {
    private final TensorLimits limits;

    public GrpcCodec(TensorLimits limits) {
        this.limits = limits;
    }

    TensorLimits limits() {
        return limits;
    }

    public InferRequest decode(ModelInferRequest req, long deadlineNanos) {
        boolean raw = req.getRawInputContentsCount() > 0;
        if (raw && req.getRawInputContentsCount() != req.getInputsCount()) {
            throw ServingException.invalid("raw_input_contents has " + req.getRawInputContentsCount()
                    + " entries but there are " + req.getInputsCount() + " inputs; send one per input, in order");
        }
        List<TensorData> inputs = new ArrayList<>(req.getInputsCount());
        Set<String> names = new HashSet<>();
        for (int i = 0; i < req.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = req.getInputs(i);
            String name = in.getName();
            if (name.isEmpty()) {
                throw ServingException.invalid("input #" + i + " has no name");
            }
            if (!names.add(name)) {
                throw ServingException.invalid("input '" + ModelNames.printable(name) + "' is given more than once");
            }
            DataType type = Codecs.datatype(name, in.getDatatype());
            long elements = Shapes.elementCount(name, in.getShapeList(), limits);
            long[] shape = Shapes.toArray(in.getShapeList());
            if (raw) {
                if (in.hasContents()) {
                    throw ServingException.invalid(
                            "input '" + name + "' has both contents and raw_input_contents; use one");
                }
                inputs.add(fromRaw(name, type, shape, elements, req.getRawInputContents(i)));
            } else {
                if (!in.hasContents()) {
                    throw ServingException.invalid(
                            "input '" + name + "' has no data: set contents or raw_input_contents");
                }
                inputs.add(fromContents(name, type, shape, elements, in.getContents()));
            }
        }
        List<String> outputs = new ArrayList<>(req.getOutputsCount());
        Set<String> outNames = new HashSet<>();
        Map<String, Integer> classifications = new HashMap<>();
        for (ModelInferRequest.InferRequestedOutputTensor o : req.getOutputsList()) {
            InferParameter c = o.getParametersMap().get("classification");
            if (c != null) {
                long n = c.getParameterChoiceCase() == InferParameter.ParameterChoiceCase.INT64_PARAM
                        ? c.getInt64Param()
                        : c.getParameterChoiceCase() == InferParameter.ParameterChoiceCase.UINT64_PARAM
                                ? c.getUint64Param()
                                : -1;
                classifications.put(o.getName(), Classifications.count(o.getName(), n));
            }
            if (!outNames.add(o.getName())) {
                throw ServingException.invalid(
                        "output '" + ModelNames.printable(o.getName()) + "' is requested more than once");
            }
            outputs.add(o.getName());
        }
        return new InferRequest(
                req.getModelName(),
                req.getModelVersion(),
                req.getId(),
                inputs,
                outputs,
                parameters(req.getParametersMap()),
                deadlineNanos,
                req,
                classifications);
    }

    static TensorData fromRaw(String name, DataType type, long[] shape, long elements, ByteString bytes) {
        if (type == DataType.BYTES) {
            return TensorData.ofStrings(
                    name, shape, Codecs.splitLengthPrefixed(name, bytes.asReadOnlyByteBuffer(), elements));
        }
        long expected = Shapes.byteSize(name, type, elements);
        if (bytes.size() != expected) {
            throw ServingException.invalid("input '" + name + "': raw content is " + bytes.size() + " bytes but shape "
                    + Shapes.str(shape) + " of " + type + " needs " + expected);
        }
        return TensorData.ofRaw(name, type, shape, bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    static TensorData fromContents(String name, DataType type, long[] shape, long elements, InferTensorContents c) {
        int n = (int) elements; // elements <= maxElements, checked above; the count check below bounds it anyway
        Map<String, Integer> present = populated(c);
        String field = contentsField(type);
        if (field == null) {
            throw ServingException.invalid(
                    "input '" + name + "': " + type + " data must be sent as raw_input_contents");
        }
        for (Map.Entry<String, Integer> e : present.entrySet()) {
            if (!e.getKey().equals(field)) {
                throw ServingException.invalid(
                        "input '" + name + "' is " + type + " but carries " + e.getKey() + "; use " + field);
            }
        }
        int count = present.getOrDefault(field, 0);
        if (count != elements) {
            throw ServingException.invalid("input '" + name + "': " + field + " has " + count + " values but shape "
                    + Shapes.str(shape) + " needs " + elements);
        }
        if (type == DataType.BYTES) {
            List<byte[]> strings = new ArrayList<>(n);
            for (ByteString b : c.getBytesContentsList()) {
                strings.add(b.toByteArray());
            }
            return TensorData.ofStrings(name, shape, strings);
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(Shapes.byteSize(name, type, elements)))
                .order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case BOOL -> c.getBoolContentsList().forEach(v -> buf.put((byte) (v ? 1 : 0)));
            case INT8 ->
                c.getIntContentsList()
                        .forEach(v -> buf.put((byte) Codecs.range(name, v, Byte.MIN_VALUE, Byte.MAX_VALUE)));
            case INT16 ->
                c.getIntContentsList()
                        .forEach(v -> buf.putShort((short) Codecs.range(name, v, Short.MIN_VALUE, Short.MAX_VALUE)));
            case INT32 -> c.getIntContentsList().forEach(buf::putInt);
            case INT64 -> c.getInt64ContentsList().forEach(buf::putLong);
            case UINT8 ->
                c.getUintContentsList()
                        .forEach(v -> buf.put((byte) Codecs.range(name, Integer.toUnsignedLong(v), 0, 0xFF)));
            case UINT16 ->
                c.getUintContentsList()
                        .forEach(v -> buf.putShort((short) Codecs.range(name, Integer.toUnsignedLong(v), 0, 0xFFFF)));
            case UINT32 -> c.getUintContentsList().forEach(buf::putInt);
            case UINT64 -> c.getUint64ContentsList().forEach(buf::putLong);
            case FP32 -> c.getFp32ContentsList().forEach(buf::putFloat);
            case FP64 -> c.getFp64ContentsList().forEach(buf::putDouble);
            default -> throw new IllegalStateException(type.name());
        }
        buf.flip();
        return TensorData.ofRaw(name, type, shape, buf);
    }

    /** The typed-contents field that carries {@code type}, or null if it must travel raw. */
    static String contentsField(DataType type) {
        return switch (type) {
            case BOOL -> "bool_contents";
            case INT8, INT16, INT32 -> "int_contents";
            case INT64 -> "int64_contents";
            case UINT8, UINT16, UINT32 -> "uint_contents";
            case UINT64 -> "uint64_contents";
            case FP32 -> "fp32_contents";
            case FP64 -> "fp64_contents";
            case BYTES -> "bytes_contents";
            case FP16, BF16 -> null;
        };
    }

    private static Map<String, Integer> populated(InferTensorContents c) {
        Map<String, Integer> m = new HashMap<>();
        putIf(m, "bool_contents", c.getBoolContentsCount());
        putIf(m, "int_contents", c.getIntContentsCount());
        putIf(m, "int64_contents", c.getInt64ContentsCount());
        putIf(m, "uint_contents", c.getUintContentsCount());
        putIf(m, "uint64_contents", c.getUint64ContentsCount());
        putIf(m, "fp32_contents", c.getFp32ContentsCount());
        putIf(m, "fp64_contents", c.getFp64ContentsCount());
        putIf(m, "bytes_contents", c.getBytesContentsCount());
        return m;
    }

    private static void putIf(Map<String, Integer> m, String k, int n) {
        if (n > 0) {
            m.put(k, n);
        }
    }

    static Map<String, Object> parameters(Map<String, InferParameter> params) {
        Map<String, Object> out = new HashMap<>();
        params.forEach((k, v) -> {
            switch (v.getParameterChoiceCase()) {
                case BOOL_PARAM -> out.put(k, v.getBoolParam());
                case INT64_PARAM -> out.put(k, v.getInt64Param());
                case STRING_PARAM -> out.put(k, v.getStringParam());
                case DOUBLE_PARAM -> out.put(k, v.getDoubleParam());
                case UINT64_PARAM -> out.put(k, v.getUint64Param());
                default -> {}
            }
        });
        return out;
    }

    /** The response with {@code params} added to its parameters (strings, whole numbers, booleans, doubles). */
    public static ModelInferResponse withParameters(ModelInferResponse r, Map<String, Object> params) {
        if (params.isEmpty()) {
            return r;
        }
        ModelInferResponse.Builder b = r.toBuilder();
        params.forEach((k, v) -> {
            InferParameter.Builder p = InferParameter.newBuilder();
            if (v instanceof Long || v instanceof Integer) {
                p.setInt64Param(((Number) v).longValue());
            } else if (v instanceof Boolean bool) {
                p.setBoolParam(bool);
            } else if (v instanceof Double d) {
                p.setDoubleParam(d);
            } else {
                p.setStringParam(String.valueOf(v));
            }
            b.putParameters(k, p.build());
        });
        return b.build();
    }

    /** Encodes outputs as raw_output_contents, in the order of {@code result}. */
    public ModelInferResponse encode(String model, long version, String id, InferenceResult result) {
        ModelInferResponse.Builder b = ModelInferResponse.newBuilder()
                .setModelName(model)
                .setModelVersion(Long.toString(version))
                .setId(id);
        for (TensorData t : result.outputs()) {
            ModelInferResponse.InferOutputTensor.Builder o = ModelInferResponse.InferOutputTensor.newBuilder()
                    .setName(t.name())
                    .setDatatype(t.type().protocolName());
            for (long d : t.shape()) {
                o.addShape(d);
            }
            b.addOutputs(o);
            if (t.type() == DataType.BYTES) {
                b.addRawOutputContents(ByteString.copyFrom(Codecs.joinLengthPrefixed(t.strings())));
            } else {
                b.addRawOutputContents(ByteString.copyFrom(t.raw().duplicate()));
            }
        }
        return b.build();
    }
}
