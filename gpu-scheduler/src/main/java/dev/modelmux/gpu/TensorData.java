package dev.modelmux.gpu;

import dev.modelmux.repo.DataType;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A tensor crossing the boundary between the protocol layer and the runtime. Fixed-size types
 * carry {@code raw}: the flattened row-major elements, little-endian, exactly
 * {@code elements * type.byteSize()} bytes from position to limit. {@link DataType#BYTES} carries
 * {@code strings} instead, one entry per element. Exactly one of the two is non-null.
 * Validation (sizes, overflow, limits) happens before one of these is built.
 */
public record TensorData(String name, DataType type, long[] shape, ByteBuffer raw, List<byte[]> strings) {
    public TensorData {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
        if ((raw == null) == (strings == null)) {
            throw new IllegalArgumentException("tensor " + name + ": exactly one of raw and strings must be set");
        }
        if (type == DataType.BYTES && strings == null) {
            throw new IllegalArgumentException("tensor " + name + ": BYTES tensors carry strings");
        }
        if (type != DataType.BYTES && raw == null) {
            throw new IllegalArgumentException("tensor " + name + ": " + type + " tensors carry raw bytes");
        }
    }

    public static TensorData ofRaw(String name, DataType type, long[] shape, ByteBuffer raw) {
        return new TensorData(name, type, shape, raw, null);
    }

    public static TensorData ofStrings(String name, long[] shape, List<byte[]> strings) {
        return new TensorData(name, DataType.BYTES, shape, null, strings);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements, the product of the shape (the caller has checked it does not overflow). */
    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(shape);
    }
}
