package dev.modelmux.gpu;

import java.util.List;

/**
 * Outputs of one inference and where the time went: {@code queueNanos} waiting for a device
 * thread, {@code computeNanos} in the runtime including tensor conversion, of which
 * {@code inputNanos} preparing the inputs and {@code outputNanos} extracting the outputs.
 */
public record InferenceResult(
        List<TensorData> outputs, long queueNanos, long computeNanos, long inputNanos, long outputNanos) {
    public InferenceResult {
        outputs = List.copyOf(outputs);
    }

    /** A result without the conversion breakdown. */
    public InferenceResult(List<TensorData> outputs, long queueNanos, long computeNanos) {
        this(outputs, queueNanos, computeNanos, 0, 0);
    }

    /** The same timing with other outputs (a member's share of a batch). */
    public InferenceResult withOutputs(List<TensorData> other) {
        return new InferenceResult(other, queueNanos, computeNanos, inputNanos, outputNanos);
    }

    /** The same with {@code nanos} of queueing in total. */
    public InferenceResult withQueueNanos(long nanos) {
        return new InferenceResult(outputs, nanos, computeNanos, inputNanos, outputNanos);
    }

    /** The runtime's run alone: {@code computeNanos} less the conversions. */
    public long inferNanos() {
        return Math.max(0, computeNanos - inputNanos - outputNanos);
    }
}
