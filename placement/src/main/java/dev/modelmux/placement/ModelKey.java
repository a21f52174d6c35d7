package dev.modelmux.placement;

import java.util.Comparator;
import java.util.Objects;

/** One version of one model: the unit that is placed, copied and evicted. */
public record ModelKey(String name, long version) implements Comparable<ModelKey> {
    private static final Comparator<ModelKey> ORDER =
            Comparator.comparing(ModelKey::name).thenComparingLong(ModelKey::version);

    public ModelKey {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) {
            throw new IllegalArgumentException("model name must not be blank");
        }
        if (version < 0) {
            throw new IllegalArgumentException("version must be >= 0, was " + version + " for " + name);
        }
    }

    public static ModelKey of(String name, long version) {
        return new ModelKey(name, version);
    }

    @Override
    public int compareTo(ModelKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return name + ":" + version;
    }
}
