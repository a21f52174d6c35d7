package dev.modelmux.placement.sim;

import dev.modelmux.placement.ModelKey;
import java.util.Objects;

/** One request for a model in a trace: if the model is not resident, it must be loaded. */
public record Access(ModelKey model, long sizeBytes, long loadNanos, long nowNanos) {
    public Access {
        Objects.requireNonNull(model, "model");
        if (sizeBytes < 0 || loadNanos < 0) {
            throw new IllegalArgumentException(model + ": sizeBytes and loadNanos must be >= 0");
        }
    }
}
