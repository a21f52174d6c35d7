package dev.modelmux.repo;

/**
 * The pre-scan: parses an ONNX protobuf and rejects what could hurt the runtime before ONNX
 * Runtime sees it (see {@link ScanLimits}).
 */
public final class OnnxInspector {
  private OnnxInspector() {}

  /**
   * @param model the model name, for messages
   * @throws ArtifactRejectedException naming the model and what is wrong
   */
  public static OnnxModelInfo inspect(String model, byte[] bytes, ScanLimits limits) throws ArtifactRejectedException {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }
}
