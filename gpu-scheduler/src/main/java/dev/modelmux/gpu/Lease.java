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
  CompletableFuture<InferenceResult> run(List<TensorData> inputs, Set<String> outputs);

  @Override
  void close();
}
