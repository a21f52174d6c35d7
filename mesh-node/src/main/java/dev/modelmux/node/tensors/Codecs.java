package dev.modelmux.node.tensors;

import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelNames;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Pieces shared by the gRPC and REST codecs. */
public final class Codecs {
    static final String DATATYPES =
            Arrays.stream(DataType.values()).map(DataType::protocolName).collect(Collectors.joining(", "));

    private Codecs() {}

    public static DataType datatype(String tensor, String name) {
        return DataType.fromProtocol(name)
                .orElseThrow(() -> ServingException.invalid("input '" + tensor + "': unknown datatype '"
                        + ModelNames.printable(name == null ? "" : name) + "'; expected one of " + DATATYPES));
    }

    public static long range(String tensor, long v, long min, long max) {
        if (v < min || v > max) {
            throw ServingException.invalid(
                    "input '" + tensor + "': value " + v + " is out of range [" + min + ", " + max + "]");
        }
        return v;
    }

    /**
     * Splits Triton's raw BYTES encoding: each element is a 4-byte little-endian length followed by
     * that many bytes. The count must equal {@code elements} and the buffer must be consumed exactly.
     */
    public static List<byte[]> splitLengthPrefixed(String tensor, ByteBuffer buf, long elements) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> out = new ArrayList<>((int) Math.min(elements, 1024));
        for (long i = 0; i < elements; i++) {
            if (b.remaining() < 4) {
                throw ServingException.invalid(
                        "input '" + tensor + "': BYTES raw content ends after " + i + " of " + elements + " elements");
            }
            long len = Integer.toUnsignedLong(b.getInt());
            if (len > b.remaining()) {
                throw ServingException.invalid("input '" + tensor + "': BYTES element " + i + " declares " + len
                        + " bytes but only " + b.remaining() + " remain");
            }
            byte[] e = new byte[(int) len];
            b.get(e);
            out.add(e);
        }
        if (b.hasRemaining()) {
            throw ServingException.invalid("input '" + tensor + "': BYTES raw content has " + b.remaining()
                    + " bytes beyond its " + elements + " elements");
        }
        return out;
    }

    public static byte[] joinLengthPrefixed(List<byte[]> strings) {
        long total = 0;
        for (byte[] s : strings) {
            total += 4L + s.length;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(total)).order(ByteOrder.LITTLE_ENDIAN);
        for (byte[] s : strings) {
            b.putInt(s.length).put(s);
        }
        return b.array();
    }
}
