package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.RunSizes;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A request's tensors as {@link RunSizes.Inputs}: shapes always, values of small numeric tensors. */
final class RunInputs implements RunSizes.Inputs {
    /** Larger tensors are data, not shapes or counts. */
    static final int MAX_VALUES = 1024;

    private final Map<String, TensorData> byName = new HashMap<>();

    RunInputs(List<TensorData> tensors) {
        tensors.forEach(t -> byName.put(t.name(), t));
    }

    @Override
    public Optional<long[]> shape(String input) {
        TensorData t = byName.get(input);
        return t == null ? Optional.empty() : Optional.of(t.shape());
    }

    @Override
    public Optional<double[]> values(String input) {
        TensorData t = byName.get(input);
        if (t == null || t.raw() == null || t.elementCount() > MAX_VALUES) {
            return Optional.empty();
        }
        int n = (int) t.elementCount();
        ByteBuffer b = t.raw().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() != (long) n * t.type().byteSize()) {
            return Optional.empty();
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            switch (t.type()) {
                case INT64 -> out[i] = b.getLong();
                case INT32 -> out[i] = b.getInt();
                case INT16 -> out[i] = b.getShort();
                case INT8 -> out[i] = b.get();
                case UINT8 -> out[i] = Byte.toUnsignedInt(b.get());
                case UINT16 -> out[i] = Short.toUnsignedInt(b.getShort());
                case UINT32 -> out[i] = Integer.toUnsignedLong(b.getInt());
                case UINT64 -> {
                    long v = b.getLong();
                    out[i] = v >= 0 ? v : v + 0x1p64;
                }
                case FP32 -> out[i] = b.getFloat();
                case FP64 -> out[i] = b.getDouble();
                default -> {
                    return Optional.empty();
                }
            }
        }
        return Optional.of(out);
    }
}
