package dev.modelmux.cluster;

import java.util.Comparator;
import java.util.Objects;

/** One version of one model: the unit the catalog describes and the placement table places. */
public record ModelKey(String model, long version) implements Comparable<ModelKey> {

    private static final Comparator<ModelKey> ORDER =
            Comparator.comparing(ModelKey::model).thenComparingLong(ModelKey::version);

    public ModelKey {
        Objects.requireNonNull(model, "model");
        if (model.isBlank()) {
            throw new IllegalArgumentException("model name is blank");
        }
        if (version < 1) {
            throw new IllegalArgumentException("model version " + version + " of '" + model + "' is not positive");
        }
    }

    public static ModelKey of(String model, long version) {
        return new ModelKey(model, version);
    }

    @Override
    public int compareTo(ModelKey other) {
        return ORDER.compare(this, other);
    }

    @Override
    public String toString() {
        return model + "@" + version;
    }
}
