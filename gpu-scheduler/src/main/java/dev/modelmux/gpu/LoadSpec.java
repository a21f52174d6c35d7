package dev.modelmux.gpu;

import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.config.ModelConfig;
import java.util.Objects;
import java.util.Optional;

/**
 * What the pool needs to load one model version, supplied by the caller (the node's model
 * manager) so that the pool never touches the repository itself.
 *
 * @param artifactSizeBytes the artifact's size from the repository scan, used for the predicted
 *     footprint before anything is read
 * @param config the parsed config.pbtxt, or empty to derive one from the ONNX graph
 * @param source reads the artifact's bytes (blocking; called on the device's load thread)
 * @param pinned a pinned model is never evicted
 */
public record LoadSpec(long artifactSizeBytes, Optional<ModelConfig> config, ArtifactSource source, boolean pinned) {
    public LoadSpec {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(source, "source");
        if (artifactSizeBytes < 0) {
            throw new IllegalArgumentException("artifact size must be >= 0");
        }
    }

    /** Reads an artifact; blocking. */
    @FunctionalInterface
    public interface ArtifactSource {
        Artifact read() throws Exception;
    }
}
