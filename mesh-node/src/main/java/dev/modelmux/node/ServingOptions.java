package dev.modelmux.node;

import dev.modelmux.node.catalog.ModelReadiness;
import java.util.Objects;

/**
 * How the node answers the protocol where Triton's meaning and a mesh's differ.
 *
 * @param readiness what {@code ModelReady} (and REST {@code /ready}) report: {@link ModelReadiness#SERVABLE}
 *     (the default: the mesh can serve it now, a call may pay a load) or {@link ModelReadiness#LOADED}
 *     (Triton's strict meaning: loaded on this node)
 */
public record ServingOptions(ModelReadiness readiness) {
    public ServingOptions {
        Objects.requireNonNull(readiness, "model-readiness");
    }

    public static ServingOptions defaults() {
        return new ServingOptions(ModelReadiness.SERVABLE);
    }
}
