package dev.modelmux.repo;

import java.util.Set;

/**
 * Limits of the artifact pre-scan.
 *
 * @param maxDimValue largest dim accepted anywhere in the graph
 * @param maxTensorBytes largest single initializer or constant, by its declared shape
 * @param maxNodes most nodes over the whole graph, subgraphs included
 * @param maxGraphDepth deepest nesting of subgraphs (If/Loop/Scan bodies)
 * @param allowedDomains operator domains served by ONNX Runtime's built-in kernels; any other is a
 *     custom-op domain and is refused (custom-op libraries are never registered from a repository)
 */
public record ScanLimits(
        long maxDimValue, long maxTensorBytes, int maxNodes, int maxGraphDepth, Set<String> allowedDomains) {
    public static final Set<String> BUILT_IN_DOMAINS =
            Set.of("", "ai.onnx", "ai.onnx.ml", "com.microsoft", "com.microsoft.nchwc", "ai.onnx.preview.training");

    public ScanLimits {
        if (maxDimValue < 1) {
            throw new IllegalArgumentException("maxDimValue must be >= 1, was " + maxDimValue);
        }
        if (maxTensorBytes < 1) {
            throw new IllegalArgumentException("maxTensorBytes must be >= 1, was " + maxTensorBytes);
        }
        if (maxNodes < 1) {
            throw new IllegalArgumentException("maxNodes must be >= 1, was " + maxNodes);
        }
        if (maxGraphDepth < 0) {
            throw new IllegalArgumentException("maxGraphDepth must be >= 0, was " + maxGraphDepth);
        }
        allowedDomains = Set.copyOf(allowedDomains);
    }

    public static ScanLimits defaults() {
        return new ScanLimits(1L << 31, (2L << 30) - 1, 1_000_000, 16, BUILT_IN_DOMAINS);
    }
}
