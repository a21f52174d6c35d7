package dev.modelmux.gpu;

import dev.modelmux.repo.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Stacking the inputs of several requests along dimension 0 into one batch, and splitting the
 * batch's outputs back. Tensors are row-major, so stacking concatenates each input's bytes (or
 * strings) in member order, and member {@code i} owns rows {@code [offsets[i], offsets[i+1])} of
 * every output. Splitting copies nothing: a member's fixed-size outputs are views of the batch's
 * buffers, and its strings the batch's own byte arrays.
 */
public final class Batches {
    private Batches() {}

    /** Why a batch's outputs cannot be split back to its members. */
    public enum SplitFailure {
        /** The run returned no output of a name a member asked for. */
        MISSING_OUTPUT,
        /** An output does not carry the batch along dimension 0 (a scalar, or another size there). */
        NOT_BATCHED
    }

    /**
     * A batch's outputs that cannot be split: the model does not return its batch along dimension 0,
     * so its requests must run one by one. The message names the output and its shape.
     */
    public static final class CannotSplitException extends Exception {
        private static final long serialVersionUID = 1L;

        private final SplitFailure failure;
        private final String output;

        CannotSplitException(SplitFailure failure, String output, String message) {
            super(message, null, false, false);
            this.failure = failure;
            this.output = output;
        }

        public SplitFailure failure() {
            return failure;
        }

        /** The output's name. */
        public String output() {
            return output;
        }
    }

    /**
     * The members' inputs stacked along dimension 0, by input name in the first member's order.
     * Fixed-size inputs go into one new direct buffer each (little-endian).
     *
     * @param members each member's inputs: the same names, each name with the same type and dims
     *     after the first in every member
     * @throws IllegalArgumentException when the members differ in names, types or non-batch dims
     */
    public static List<TensorData> stack(List<List<TensorData>> members) {
        if (members.isEmpty()) {
            throw new IllegalArgumentException("nothing to stack");
        }
        List<TensorData> first = members.get(0);
        List<TensorData> out = new ArrayList<>(first.size());
        for (TensorData proto : first) {
            List<TensorData> parts = new ArrayList<>(members.size());
            long rows = 0;
            for (List<TensorData> m : members) {
                TensorData t = find(m, proto.name());
                if (t == null) {
                    throw new IllegalArgumentException("members differ in inputs: no '" + proto.name() + "'");
                }
                if (t.type() != proto.type() || !sameAfterFirst(t.shape(), proto.shape())) {
                    throw new IllegalArgumentException(
                            "members differ in input '" + proto.name() + "': " + t + " does not stack with " + proto);
                }
                parts.add(t);
                rows += t.shape()[0];
            }
            long[] shape = proto.shape();
            shape[0] = rows;
            out.add(
                    proto.type() == DataType.BYTES
                            ? stackStrings(proto.name(), shape, parts)
                            : stackRaw(proto, shape, parts));
        }
        return out;
    }

    /** Output names to ask a batched run for: every member's, in first-seen order. */
    public static Set<String> union(List<Set<String>> wanted) {
        Set<String> all = new LinkedHashSet<>();
        wanted.forEach(all::addAll);
        return all;
    }

    /**
     * Each member's share of the batched outputs: for member {@code i}, the outputs named in
     * {@code wanted.get(i)}, in that order, holding its rows.
     *
     * @param rows each member's rows along dimension 0, in stacking order
     * @throws CannotSplitException when an output is missing or does not carry the batch along
     *     dimension 0
     */
    public static List<List<TensorData>> split(List<TensorData> outputs, int[] rows, List<Set<String>> wanted)
            throws CannotSplitException {
        if (rows.length != wanted.size()) {
            throw new IllegalArgumentException(
                    rows.length + " members' rows for " + wanted.size() + " members' outputs");
        }
        int total = 0;
        for (int r : rows) {
            total = Math.addExact(total, r);
        }
        List<List<TensorData>> parts = new ArrayList<>(rows.length);
        int start = 0;
        for (int i = 0; i < rows.length; i++) {
            List<TensorData> mine = new ArrayList<>(wanted.get(i).size());
            for (String name : wanted.get(i)) {
                mine.add(rowsOf(output(outputs, name, total), start, start + rows[i], total));
            }
            parts.add(mine);
            start += rows[i];
        }
        return parts;
    }

    private static TensorData output(List<TensorData> outputs, String name, int total) throws CannotSplitException {
        TensorData t = find(outputs, name);
        if (t == null) {
            throw new CannotSplitException(
                    SplitFailure.MISSING_OUTPUT, name, "batched run returned no output '" + name + "'");
        }
        long[] shape = t.shape();
        if (shape.length == 0 || shape[0] != total) {
            throw new CannotSplitException(
                    SplitFailure.NOT_BATCHED,
                    name,
                    "output '" + name + "' has shape " + Arrays.toString(shape) + ", not " + total
                            + " rows along dimension 0");
        }
        return t;
    }

    private static TensorData rowsOf(TensorData t, int start, int end, int total) {
        long[] part = t.shape();
        part[0] = end - start;
        if (t.type() == DataType.BYTES) {
            int perRow = t.strings().size() / total;
            return TensorData.ofStrings(t.name(), part, List.copyOf(t.strings().subList(start * perRow, end * perRow)));
        }
        int perRow = t.raw().remaining() / total;
        ByteBuffer view = t.raw().duplicate();
        view.position(view.position() + start * perRow).limit(view.position() + (end - start) * perRow);
        return TensorData.ofRaw(t.name(), t.type(), part, view.slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    private static TensorData stackStrings(String name, long[] shape, List<TensorData> parts) {
        List<byte[]> strings = new ArrayList<>();
        parts.forEach(p -> strings.addAll(p.strings()));
        return TensorData.ofStrings(name, shape, strings);
    }

    private static TensorData stackRaw(TensorData proto, long[] shape, List<TensorData> parts) {
        int bytes = 0;
        for (TensorData p : parts) {
            bytes = Math.addExact(bytes, p.raw().remaining());
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (TensorData p : parts) {
            buf.put(p.raw().duplicate());
        }
        buf.flip();
        return TensorData.ofRaw(proto.name(), proto.type(), shape, buf);
    }

    private static TensorData find(List<TensorData> tensors, String name) {
        for (TensorData t : tensors) {
            if (Objects.equals(t.name(), name)) {
                return t;
            }
        }
        return null;
    }

    private static boolean sameAfterFirst(long[] a, long[] b) {
        if (a.length != b.length || a.length == 0) {
            return false;
        }
        for (int i = 1; i < a.length; i++) {
            if (a[i] != b[i]) {
                return false;
            }
        }
        return true;
    }
}
