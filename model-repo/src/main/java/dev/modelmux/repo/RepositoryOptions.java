package dev.modelmux.repo;

/**
 * Limits applied while reading a repository.
 *
 * @param maxArtifactBytes largest model file read (ONNX protobufs without external data are < 2 GiB)
 * @param maxConfigBytes largest config.pbtxt read
 */
public record RepositoryOptions(long maxArtifactBytes, long maxConfigBytes) {
    public static final long DEFAULT_MAX_ARTIFACT_BYTES = (2L << 30) - 1;
    public static final long DEFAULT_MAX_CONFIG_BYTES = 1L << 20;

    public RepositoryOptions {
        if (maxArtifactBytes <= 0 || maxArtifactBytes > DEFAULT_MAX_ARTIFACT_BYTES) {
            throw new IllegalArgumentException("maxArtifactBytes must be in (0, 2 GiB), was " + maxArtifactBytes);
        }
        if (maxConfigBytes <= 0) {
            throw new IllegalArgumentException("maxConfigBytes must be > 0, was " + maxConfigBytes);
        }
    }

    public static RepositoryOptions defaults() {
        return new RepositoryOptions(DEFAULT_MAX_ARTIFACT_BYTES, DEFAULT_MAX_CONFIG_BYTES);
    }
}
