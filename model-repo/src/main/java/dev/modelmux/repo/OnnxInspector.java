package dev.modelmux.repo;

import dev.modelmux.repo.internal.OnnxPreScan;
import java.nio.ByteBuffer;

/**
 * The pre-scan: parses an ONNX protobuf and rejects what could hurt the runtime before ONNX
 * Runtime sees it (see {@link ScanLimits}).
 *
 * <p>Refused: empty or unparseable files; files without a graph or opset; operator domains outside
 * {@link ScanLimits#allowedDomains()} (model-local functions excepted, recursive ones refused);
 * tensors (initializers, sparse initializers, constant and attribute tensors, in every subgraph and
 * function) whose declared shape and type disagree with the data present, whose dims are negative
 * or above {@link ScanLimits#maxDimValue()}, whose declared size exceeds
 * {@link ScanLimits#maxTensorBytes()} or overflows, or whose data is external (weights must be
 * embedded); graph dims out of range; more than {@link ScanLimits#maxNodes()} nodes; subgraphs
 * nested deeper than {@link ScanLimits#maxGraphDepth()}; graph inputs or outputs that are not
 * dense tensors of a {@link DataType}. Messages name the model and the problem, never a path.
 */
public final class OnnxInspector {
    private OnnxInspector() {}

    /**
     * @param model the model name, for messages
     * @param bytes the whole model file; tensor data is viewed, not copied, while scanning
     * @throws ArtifactRejectedException naming the model and what is wrong
     */
    public static OnnxModelInfo inspect(String model, byte[] bytes, ScanLimits limits)
            throws ArtifactRejectedException {
        return OnnxPreScan.inspect(model, bytes == null ? null : ByteBuffer.wrap(bytes), limits);
    }

    /**
     * As {@link #inspect(String, byte[], ScanLimits)} over {@code content} from position to limit (a
     * mapped or direct buffer is scanned in place, its tensor data viewed, not copied onto the heap).
     */
    public static OnnxModelInfo inspect(String model, ByteBuffer content, ScanLimits limits)
            throws ArtifactRejectedException {
        return OnnxPreScan.inspect(model, content, limits);
    }
}
