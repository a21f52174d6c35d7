package dev.modelmux.repo;

import dev.modelmux.repo.config.ModelConfig;
import java.util.List;
import java.util.OptionalLong;

/** Parsing, deriving and checking Triton model configs. */
public final class ModelConfigs {
  /** Config parameter: the predicted memory footprint in bytes, overriding artifact size x factor. */
  public static final String PARAM_MEMORY_BYTES = "memory_bytes";
  /** Config parameter: "true" pins the model (never evicted). */
  public static final String PARAM_PINNED = "pinned";

  private ModelConfigs() {}

  /**
   * Parses config.pbtxt text with protobuf TextFormat and validates it (name matches the folder,
   * platform/backend is ONNX, dims, data types, version policy, instance groups, batching).
   *
   * @throws ModelConfigException naming the model, {@code fileName} and the line
   */
  public static ModelConfig parse(String model, String fileName, String text) throws ModelConfigException {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }

  /** A config derived from the graph for a model without config.pbtxt (max_batch_size 0, full dims). */
  public static ModelConfig derive(String model, OnnxModelInfo info) {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }

  /**
   * Compares a config with the inputs and outputs the runtime reports. Returns one readable line
   * per mismatch (missing or extra tensors, types, ranks, dims; -1 only where the model's dim is
   * variable); empty when they match.
   */
  public static List<String> signatureMismatches(ModelConfig config, List<TensorSpec> inputs, List<TensorSpec> outputs) {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }

  /** The input or output dims a request must have, with the batch dim prepended when max_batch_size > 0. */
  public static long[] fullDims(ModelConfig config, List<Long> dims) {
    long[] full = new long[dims.size() + (config.getMaxBatchSize() > 0 ? 1 : 0)];
    int i = 0;
    if (config.getMaxBatchSize() > 0) {
      full[i++] = -1;
    }
    for (long d : dims) {
      full[i++] = d;
    }
    return full;
  }

  public static OptionalLong memoryBytes(ModelConfig config) {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }

  public static boolean pinned(ModelConfig config) {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }

  /** Sessions to create: the sum of instance_group counts (at least 1). */
  public static int instanceCount(ModelConfig config) {
    throw new UnsupportedOperationException("TODO(model-repo helper)");
  }
}
