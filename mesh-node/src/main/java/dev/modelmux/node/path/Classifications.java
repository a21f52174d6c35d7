package dev.modelmux.node.path;

import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.tensors.Half;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelNames;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Triton's classification extension: an output asked for with {@code classification: k} is answered
 * as its top {@code k} classes instead of its values. Per row of the batch (or for the whole output of
 * a model without a batch dimension), the {@code k} highest values in descending order (ties by the
 * lower index), each as the BYTES string {@code "<value>:<index>"} or, when the output has a label file,
 * {@code "<value>:<index>:<label>"}; the output becomes BYTES with shape {@code [batch, k]} (or {@code [k]}).
 * {@code k} larger than the classes an output has gives all of them.
 */
public final class Classifications {
    /** Most classes one output may be asked for. */
    static final int MAX_COUNT = 1 << 16;

    private Classifications() {}

    /** Validates a requested class count. */
    public static int count(String output, long n) {
        if (n < 1 || n > MAX_COUNT) {
            throw ServingException.invalid("output '" + ModelNames.printable(output)
                    + "': classification must be a whole number in [1, " + MAX_COUNT + "]");
        }
        return (int) n;
    }

    /**
     * The result with each output named in {@code counts} replaced by its classes.
     *
     * @param batched whether dimension 0 of the outputs is the batch
     * @param labels an output's labels (empty when it has no label file)
     */
    static InferenceResult apply(
            InferenceResult result,
            Map<String, Integer> counts,
            boolean batched,
            Function<String, List<String>> labels) {
        if (counts.isEmpty()) {
            return result;
        }
        List<TensorData> out = new ArrayList<>(result.outputs().size());
        for (TensorData t : result.outputs()) {
            Integer k = counts.get(t.name());
            out.add(k == null ? t : classify(t, k, batched, labels.apply(t.name())));
        }
        return result.withOutputs(out);
    }

    static TensorData classify(TensorData t, int k, boolean batched, List<String> labels) {
        if (t.type() == DataType.BYTES || t.type() == DataType.BOOL) {
            throw ServingException.invalid(
                    "output '" + t.name() + "' is " + t.type() + ": classification needs a numeric output");
        }
        long[] shape = t.shape();
        long total = t.elementCount();
        long rows = batched && shape.length > 0 ? shape[0] : 1;
        long classes = rows == 0 ? 0 : total / rows;
        int take = (int) Math.min(k, classes);
        double[] v = values(t);
        List<byte[]> strings = new ArrayList<>((int) (rows * take));
        for (long r = 0; r < rows; r++) {
            int base = (int) (r * classes);
            List<Integer> idx = new ArrayList<>((int) classes);
            for (int i = 0; i < classes; i++) {
                idx.add(i);
            }
            idx.sort(Comparator.comparingDouble((Integer i) -> -v[base + i]).thenComparingInt(i -> i));
            for (int j = 0; j < take; j++) {
                int i = idx.get(j);
                String s = format(t.type(), v[base + i]) + ":" + i + (i < labels.size() ? ":" + labels.get(i) : "");
                strings.add(s.getBytes(StandardCharsets.UTF_8));
            }
        }
        long[] outShape = batched && shape.length > 0 ? new long[] {rows, take} : new long[] {take};
        return TensorData.ofStrings(t.name(), outShape, strings);
    }

    private static double[] values(TensorData t) {
        ByteBuffer b = t.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        double[] v = new double[(int) t.elementCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = switch (t.type()) {
                case INT8 -> b.get();
                case UINT8 -> b.get() & 0xFF;
                case INT16 -> b.getShort();
                case UINT16 -> b.getShort() & 0xFFFF;
                case INT32 -> b.getInt();
                case UINT32 -> Integer.toUnsignedLong(b.getInt());
                case INT64 -> b.getLong();
                case UINT64 -> Double.parseDouble(Long.toUnsignedString(b.getLong()));
                case FP32 -> b.getFloat();
                case FP64 -> b.getDouble();
                case FP16 -> Half.toFloat(b.getShort());
                case BF16 -> Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                default -> throw new IllegalStateException(t.type().name());
            };
        }
        return v;
    }

    private static String format(DataType type, double v) {
        return switch (type) {
            case FP32, FP16, BF16 -> Float.toString((float) v);
            case FP64 -> Double.toString(v);
            case UINT64 -> new BigDecimal(v).toBigInteger().toString();
            default -> Long.toString((long) v);
        };
    }
}
