package dev.modelmux.node.protocol;

import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.tensors.Shapes;
import dev.modelmux.node.tensors.TensorLimits;
import dev.modelmux.repo.ModelNames;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a {@code ModelInferRequest}'s wire bytes before protobuf parses them, without allocating per
 * value: each input's shape is checked against the limits and each typed {@code contents} field's
 * values are counted. A field holding more values than the shape declares is refused here, so that
 * protobuf never grows a list past what the declared (and bounded) shape allows: a small message of
 * one-byte varints cannot make the parse allocate without bound. What the scan does not refuse, the
 * codec checks after the parse, with the same messages.
 */
final class InferWireScan {
    private static final int INPUTS = 5; // ModelInferRequest.inputs
    private static final int NAME = 1; // InferInputTensor.name
    private static final int SHAPE = 3; // InferInputTensor.shape
    private static final int CONTENTS = 5; // InferInputTensor.contents
    private static final String[] FIELDS = {
        null,
        "bool_contents",
        "int_contents",
        "int64_contents",
        "uint_contents",
        "uint64_contents",
        "fp32_contents",
        "fp64_contents",
        "bytes_contents"
    };

    private final byte[] b;
    private int pos;

    private InferWireScan(byte[] bytes) {
        this.b = bytes;
    }

    /**
     * @throws ServingException INVALID_ARGUMENT for a shape past the limits or contents with more values than
     *     the shape holds; malformed wire data is left for protobuf to report
     */
    static void check(byte[] message, TensorLimits limits) {
        try {
            new InferWireScan(message).request(limits);
        } catch (Malformed e) {
            // protobuf's parse names the problem
        }
    }

    private void request(TensorLimits limits) {
        int end = b.length;
        while (pos < end) {
            long tag = varint();
            if ((int) (tag >>> 3) == INPUTS && (tag & 7) == 2) {
                int len = length(end);
                input(pos + len, limits);
            } else {
                skip(tag, end);
            }
        }
    }

    private void input(int end, TensorLimits limits) {
        String name = "";
        List<Long> shape = new ArrayList<>();
        long[] counts = new long[FIELDS.length];
        while (pos < end) {
            long tag = varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field == NAME && wire == 2) {
                int len = length(end);
                name = new String(b, pos, Math.min(len, 256), StandardCharsets.UTF_8);
                pos += len;
            } else if (field == SHAPE && wire == 0) {
                shape.add(varint());
                bound(shape, limits);
            } else if (field == SHAPE && wire == 2) {
                int len = length(end);
                int stop = pos + len;
                while (pos < stop) {
                    shape.add(varint());
                    bound(shape, limits);
                }
            } else if (field == CONTENTS && wire == 2) {
                int len = length(end);
                contents(pos + len, counts);
            } else {
                skip(tag, end);
            }
        }
        String printable = ModelNames.printable(name);
        long elements = Shapes.elementCount(printable, shape, limits);
        for (int f = 1; f < FIELDS.length; f++) {
            if (counts[f] > elements) {
                throw ServingException.invalid("input '" + printable + "': " + FIELDS[f] + " has " + counts[f]
                        + " values but shape " + shape + " needs " + elements);
            }
        }
    }

    /** Refuses a shape as soon as it has more dims than allowed (a shape of millions of dims is a message too). */
    private static void bound(List<Long> shape, TensorLimits limits) {
        if (shape.size() > limits.maxDims()) {
            throw ServingException.invalid(
                    "input: rank " + shape.size() + "+ exceeds the limit of " + limits.maxDims());
        }
    }

    private void contents(int end, long[] counts) {
        while (pos < end) {
            long tag = varint();
            int field = (int) (tag >>> 3);
            int wire = (int) (tag & 7);
            if (field < 1 || field >= FIELDS.length) {
                skip(tag, end);
                continue;
            }
            if (wire == 2) {
                int len = length(end);
                if (field == 8) {
                    counts[field]++;
                } else if (field == 6) {
                    counts[field] += len / 4;
                } else if (field == 7) {
                    counts[field] += len / 8;
                } else {
                    counts[field] += varints(pos, pos + len);
                }
                pos += len;
            } else {
                counts[field]++;
                skip(tag, end);
            }
        }
    }

    /** The number of varints in {@code [from, to)}: the bytes that end one (high bit clear). */
    private long varints(int from, int to) {
        long n = 0;
        for (int i = from; i < to; i++) {
            if (b[i] >= 0) {
                n++;
            }
        }
        return n;
    }

    private void skip(long tag, int end) {
        switch ((int) (tag & 7)) {
            case 0 -> varint();
            case 1 -> advance(8, end);
            case 2 -> {
                int len = length(end); // before the addition: length() moves pos past the length itself
                pos += len;
            }
            case 5 -> advance(4, end);
            default -> throw new Malformed();
        }
    }

    private void advance(int n, int end) {
        if (end - pos < n) {
            throw new Malformed();
        }
        pos += n;
    }

    private int length(int end) {
        long len = varint();
        if (len < 0 || len > end - pos) {
            throw new Malformed();
        }
        return (int) len;
    }

    private long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= b.length) {
                throw new Malformed();
            }
            byte x = b[pos++];
            v |= (long) (x & 0x7F) << shift;
            if (x >= 0) {
                return v;
            }
        }
        throw new Malformed();
    }

    /** Wire data protobuf will refuse; the scan stops and lets it. */
    private static final class Malformed extends RuntimeException {
        Malformed() {
            super(null, null, false, false);
        }
    }
}
