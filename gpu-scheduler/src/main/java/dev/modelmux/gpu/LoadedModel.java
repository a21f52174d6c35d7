package dev.modelmux.gpu;

import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import java.util.List;
import java.util.Map;

/** A model version resident on a device, passed its gate (loaded, signature checked, warmed up). */
public interface LoadedModel {
    ModelKey key();

    DeviceSpec device();

    /** The effective config: the repository's, or the one derived from the ONNX graph. */
    ModelConfig config();

    /** Inputs as the runtime reports them ({@code -1} for variable dims). */
    List<TensorSpec> inputs();

    /**
     * The graph's symbolic dimension names of each input ({@code dim_param}, "" for a fixed or unnamed
     * dim): inputs that share a name must agree on its size.
     */
    default Map<String, List<String>> inputDimNames() {
        return Map.of();
    }

    /** Outputs as the runtime reports them. */
    List<TensorSpec> outputs();

    /** SHA-256 of the artifact that was loaded. */
    String sha256();

    long predictedBytes();

    long measuredBytes();

    /** Wall time of read + scan + session creation + warm-up, in nanoseconds. */
    long loadNanos();
}
