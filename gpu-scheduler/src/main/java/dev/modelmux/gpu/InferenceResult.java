package dev.modelmux.gpu;

import java.util.List;

/**
 * Outputs of one inference and where the time went: {@code queueNanos} waiting for a device
 * thread, {@code computeNanos} in the runtime including tensor conversion.
 */
public record InferenceResult(List<TensorData> outputs, long queueNanos, long computeNanos) {
    public InferenceResult {
        outputs = List.copyOf(outputs);
    }
}
