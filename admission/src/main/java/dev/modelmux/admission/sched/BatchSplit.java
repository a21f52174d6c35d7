package dev.modelmux.admission.sched;

import java.util.Arrays;

/**
 * Row offsets for splitting a batched output back to its members: member {@code i} owns rows
 * {@code [start(i), end(i))} along dimension 0, in the order the inputs were stacked.
 */
public record BatchSplit(int[] offsets) {

    public BatchSplit {
        offsets = offsets.clone();
    }

    /** From the members' batch sizes (each >= 1), in stacking order. */
    public static BatchSplit of(int... batchSizes) {
        int[] offsets = new int[batchSizes.length + 1];
        for (int i = 0; i < batchSizes.length; i++) {
            if (batchSizes[i] < 1) {
                throw new IllegalArgumentException("batch size of member " + i + " must be >= 1, was " + batchSizes[i]);
            }
            offsets[i + 1] = Math.addExact(offsets[i], batchSizes[i]);
        }
        return new BatchSplit(offsets);
    }

    public int members() {
        return offsets.length - 1;
    }

    public int start(int member) {
        return offsets[member];
    }

    public int end(int member) {
        return offsets[member + 1];
    }

    /** Each member's rows, in stacking order: the sizes it was made {@link #of}. */
    public int[] sizes() {
        int[] sizes = new int[members()];
        for (int i = 0; i < sizes.length; i++) {
            sizes[i] = end(i) - start(i);
        }
        return sizes;
    }

    public int totalRows() {
        return offsets[offsets.length - 1];
    }

    @Override
    public int[] offsets() {
        return offsets.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BatchSplit other && Arrays.equals(offsets, other.offsets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(offsets);
    }

    @Override
    public String toString() {
        return "BatchSplit" + Arrays.toString(offsets);
    }
}
