package dev.modelmux.repo;

import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor signature: element type and dims, where {@code -1} marks a variable dim.
 * Used for model inputs and outputs as declared by a config and as reported by a runtime.
 */
public record TensorSpec(String name, DataType type, long[] dims) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
        for (long d : dims) {
            if (d < -1) {
                throw new IllegalArgumentException("tensor '" + name + "': dim " + d + " is negative");
            }
        }
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int i) {
        return dims[i];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && name.equals(t.name) && type == t.type && Arrays.equals(dims, t.dims);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, type, Arrays.hashCode(dims));
    }

    @Override
    public String toString() {
        return name + ":" + type + Arrays.toString(dims);
    }
}
