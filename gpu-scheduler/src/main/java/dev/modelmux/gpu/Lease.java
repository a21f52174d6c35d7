package dev.modelmux.gpu;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A hold on a resident model: while any lease is open the model is "in flight" and is neither
 * evicted nor closed. Close exactly once, after the last {@link #run} completes; closing also
 * marks the model as used now (its recency for LRU eviction).
 */
public interface Lease extends AutoCloseable {
    LoadedModel model();

    /**
     * Runs one inference on the device's executor (never on the caller's thread).
     *
     * @param inputs validated inputs, all of the model's required inputs present
     * @param outputs names of the outputs to return; empty means all of the model's outputs
     * @return completes on a device thread with the outputs in the requested order (or the model's
     *     order), or fails with {@link InferenceException}
     */
    default CompletableFuture<InferenceResult> run(List<TensorData> inputs, Set<String> outputs) {
        return run(inputs, outputs, Long.MAX_VALUE);
    }

    /**
     * As {@link #run(List, Set)}, bounded by {@code deadlineNanos} on the pool's clock
     * ({@code Long.MAX_VALUE} for none): a run still waiting for a device thread when the deadline
     * passes is skipped, and one running then is terminated through ONNX Runtime's run options;
     * both fail with {@link DeadlineExceededException}.
     */
    CompletableFuture<InferenceResult> run(List<TensorData> inputs, Set<String> outputs, long deadlineNanos);

    @Override
    void close();
}
