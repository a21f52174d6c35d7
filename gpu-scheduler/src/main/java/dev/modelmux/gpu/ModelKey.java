package dev.modelmux.gpu;

import java.util.Objects;

/** One version of one model: the unit that is loaded, placed, evicted and unloaded. */
public record ModelKey(String model, long version) implements Comparable<ModelKey> {
    public ModelKey {
        Objects.requireNonNull(model, "model");
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, was " + version);
        }
    }

    @Override
    public int compareTo(ModelKey o) {
        int c = model.compareTo(o.model);
        return c != 0 ? c : Long.compare(version, o.version);
    }

    @Override
    public String toString() {
        return model + ":" + version;
    }
}
