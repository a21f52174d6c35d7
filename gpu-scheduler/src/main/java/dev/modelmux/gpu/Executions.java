package dev.modelmux.gpu;

/**
 * Told of every model execution on a device (one run of a session: a single request or a dynamic
 * batch), on the device thread that ran it; must be quick and must not block.
 */
@FunctionalInterface
public interface Executions {
    /**
     * @param batchSize the rows of the run (the batch dimension of its first input; 1 for models without one)
     * @param inputNanos preparing the input tensors for the runtime
     * @param inferNanos the runtime's run
     * @param outputNanos extracting the outputs
     * @param ok whether it produced outputs
     */
    void executed(ModelKey key, long batchSize, long inputNanos, long inferNanos, long outputNanos, boolean ok);

    Executions NONE = (key, batchSize, inputNanos, inferNanos, outputNanos, ok) -> {};
}
