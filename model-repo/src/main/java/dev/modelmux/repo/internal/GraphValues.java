package dev.modelmux.repo.internal;

import dev.modelmux.repo.DataType;
import dev.modelmux.repo.RunSizes.Inputs;
import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.TensorProto;
import dev.modelmux.repo.onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What the main graph says about the values and shapes of small tensors: a value is traced back
 * through operators that keep it ({@code Identity}, {@code Cast}, {@code Squeeze}, {@code Unsqueeze},
 * {@code Reshape}, {@code Flatten}, {@code Concat}) to graph inputs, initializers, {@code Constant}
 * nodes and {@code Shape} of a graph input. Anything else is unknown ({@code null}).
 */
final class GraphValues {
    /** Larger constants are weights, not shapes. */
    static final int MAX_VALUES = 1024;

    private static final Set<String> KEEPS_VALUES =
            Set.of("Identity", "Cast", "Squeeze", "Unsqueeze", "Reshape", "Flatten");

    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, ValueInfoProto> inputs = new HashMap<>();
    private final Map<String, NodeProto> producers = new HashMap<>();

    GraphValues(GraphProto g) {
        g.getInitializerList().forEach(t -> initializers.put(t.getName(), t));
        for (ValueInfoProto v : g.getInputList()) {
            if (!initializers.containsKey(v.getName())) {
                inputs.put(v.getName(), v);
            }
        }
        for (NodeProto n : g.getNodeList()) {
            for (String out : n.getOutputList()) {
                producers.put(out, n);
            }
        }
    }

    /** How to compute a tensor's values from a run's inputs, or null when that is not known. */
    Function<Inputs, double[]> values(String name) {
        return values(name, 0);
    }

    private Function<Inputs, double[]> values(String name, int depth) {
        if (depth > 32 || name.isEmpty()) {
            return null;
        }
        if (inputs.containsKey(name)) {
            return in -> in.values(name).orElse(null);
        }
        TensorProto t = initializers.get(name);
        if (t != null) {
            return constant(t);
        }
        NodeProto n = producers.get(name);
        if (n == null
                || !n.getDomain().isEmpty()
                || n.getInputCount() == 0 && !n.getOpType().equals("Constant")) {
            return null;
        }
        switch (n.getOpType()) {
            case "Constant" -> {
                for (AttributeProto a : n.getAttributeList()) {
                    if (a.getName().equals("value") && a.hasT()) {
                        return constant(a.getT());
                    }
                }
                return null;
            }
            case "Shape" -> {
                String of = n.getInput(0);
                if (!inputs.containsKey(of) || n.getAttributeCount() > 0) {
                    return null;
                }
                return in -> in.shape(of).map(GraphValues::doubles).orElse(null);
            }
            case "Concat" -> {
                List<Function<Inputs, double[]>> parts = new ArrayList<>();
                for (String part : n.getInputList()) {
                    Function<Inputs, double[]> p = values(part, depth + 1);
                    if (p == null) {
                        return null;
                    }
                    parts.add(p);
                }
                return in -> concat(parts, in);
            }
            default -> {
                return KEEPS_VALUES.contains(n.getOpType()) ? values(n.getInput(0), depth + 1) : null;
            }
        }
    }

    /** How to get a tensor's shape from a run's inputs, or null when that is not known. */
    Function<Inputs, long[]> shape(String name) {
        if (inputs.containsKey(name)) {
            return in -> in.shape(name).orElse(null);
        }
        TensorProto t = initializers.get(name);
        if (t != null) {
            long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
            return in -> dims;
        }
        return null;
    }

    /** A tensor's element size if the graph declares it (input or initializer), else 1 (a lower bound). */
    int elementBytes(String name) {
        int onnxType;
        if (inputs.containsKey(name)) {
            onnxType = inputs.get(name).getType().getTensorType().getElemType();
        } else if (initializers.containsKey(name)) {
            onnxType = initializers.get(name).getDataType();
        } else {
            return 1;
        }
        return elementBytes(onnxType);
    }

    static int elementBytes(int onnxType) {
        return DataType.fromOnnx(onnxType)
                .filter(DataType::fixedSize)
                .map(DataType::byteSize)
                .orElse(1);
    }

    private static Function<Inputs, double[]> constant(TensorProto t) {
        double[] v = decode(t);
        return v == null ? null : in -> v;
    }

    private static double[] concat(List<Function<Inputs, double[]>> parts, Inputs in) {
        List<double[]> got = new ArrayList<>();
        int n = 0;
        for (Function<Inputs, double[]> p : parts) {
            double[] v = p.apply(in);
            if (v == null) {
                return null;
            }
            got.add(v);
            n += v.length;
        }
        double[] out = new double[n];
        int at = 0;
        for (double[] v : got) {
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    static double[] doubles(long[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    /** A small numeric tensor's elements (INT64, INT32, FLOAT, DOUBLE), or null. */
    static double[] decode(TensorProto t) {
        long count = 1;
        for (long d : t.getDimsList()) {
            count *= d;
            if (d < 0 || count > MAX_VALUES) {
                return null;
            }
        }
        int n = (int) count;
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        boolean isRaw = !t.getRawData().isEmpty();
        double[] out = new double[n];
        switch (t.getDataType()) {
            case TensorProto.DataType.INT64_VALUE -> {
                if (isRaw ? raw.remaining() != 8L * n : t.getInt64DataCount() != n) {
                    return null;
                }
                for (int i = 0; i < n; i++) {
                    out[i] = isRaw ? raw.getLong() : t.getInt64Data(i);
                }
            }
            case TensorProto.DataType.INT32_VALUE -> {
                if (isRaw ? raw.remaining() != 4L * n : t.getInt32DataCount() != n) {
                    return null;
                }
                for (int i = 0; i < n; i++) {
                    out[i] = isRaw ? raw.getInt() : t.getInt32Data(i);
                }
            }
            case TensorProto.DataType.FLOAT_VALUE -> {
                if (isRaw ? raw.remaining() != 4L * n : t.getFloatDataCount() != n) {
                    return null;
                }
                for (int i = 0; i < n; i++) {
                    out[i] = isRaw ? raw.getFloat() : t.getFloatData(i);
                }
            }
            case TensorProto.DataType.DOUBLE_VALUE -> {
                if (isRaw ? raw.remaining() != 8L * n : t.getDoubleDataCount() != n) {
                    return null;
                }
                for (int i = 0; i < n; i++) {
                    out[i] = isRaw ? raw.getDouble() : t.getDoubleData(i);
                }
            }
            default -> {
                return null;
            }
        }
        return out;
    }
}
