package dev.modelmux.node.tensors;

import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.DataType;
import java.util.Arrays;
import java.util.List;

/** Overflow-checked shape arithmetic on untrusted shapes. */
public final class Shapes {
    private Shapes() {}

    /**
     * Validates a request shape and returns its element count.
     *
     * @throws ServingException INVALID_ARGUMENT for negative dims, a rank over the limit, an element
     *     count that overflows or exceeds the limit
     */
    public static long elementCount(String tensor, List<Long> shape, TensorLimits limits) {
        if (shape.size() > limits.maxDims()) {
            throw ServingException.invalid(
                    "input '" + tensor + "': rank " + shape.size() + " exceeds the limit of " + limits.maxDims());
        }
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw ServingException.invalid("input '" + tensor + "': shape " + shape + " has a negative dim");
            }
            // Each dim on its own, so that a zero elsewhere cannot let a huge one through.
            if (d > limits.maxElements()) {
                throw ServingException.invalid("input '" + tensor + "': dim " + d + " of shape " + shape
                        + " exceeds the limit of " + limits.maxElements() + " elements");
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw ServingException.invalid("input '" + tensor + "': shape " + shape + " overflows");
            }
            if (n > limits.maxElements()) {
                throw ServingException.invalid("input '" + tensor + "': shape " + shape + " has more than "
                        + limits.maxElements() + " elements");
            }
        }
        return n;
    }

    /** Bytes of {@code elements} of a fixed-size type, overflow-checked. */
    public static long byteSize(String tensor, DataType type, long elements) {
        try {
            return Math.multiplyExact(elements, (long) type.byteSize());
        } catch (ArithmeticException e) {
            throw ServingException.invalid("input '" + tensor + "': size overflows");
        }
    }

    public static long[] toArray(List<Long> shape) {
        long[] a = new long[shape.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = shape.get(i);
        }
        return a;
    }

    public static String str(long[] shape) {
        return Arrays.toString(shape);
    }
}
