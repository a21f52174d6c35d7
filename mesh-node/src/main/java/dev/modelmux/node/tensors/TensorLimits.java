package dev.modelmux.node.tensors;

/**
 * Size limits checked before anything is allocated for a request.
 *
 * @param maxMessageBytes largest request body (gRPC message or HTTP body)
 * @param maxElements most elements in one tensor
 * @param maxDims highest tensor rank
 */
public record TensorLimits(long maxMessageBytes, long maxElements, int maxDims) {
    public TensorLimits {
        if (maxMessageBytes <= 0 || maxMessageBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("max message size must be in (0, 2 GiB), was " + maxMessageBytes);
        }
        if (maxElements <= 0) {
            throw new IllegalArgumentException("max tensor elements must be > 0, was " + maxElements);
        }
        if (maxDims <= 0) {
            throw new IllegalArgumentException("max tensor rank must be > 0, was " + maxDims);
        }
    }
}
