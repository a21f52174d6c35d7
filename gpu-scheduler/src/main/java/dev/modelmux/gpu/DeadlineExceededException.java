package dev.modelmux.gpu;

/**
 * An inference that did not finish before its deadline: it was still waiting for a device thread
 * when the deadline passed (it never ran), or ONNX Runtime terminated it through its run options.
 */
public final class DeadlineExceededException extends InferenceException {
    private static final long serialVersionUID = 1L;

    private final boolean started;

    public DeadlineExceededException(String message, boolean started) {
        super(message, false, null);
        this.started = started;
    }

    /** Whether the runtime had started (and was terminated) rather than the run being skipped. */
    public boolean started() {
        return started;
    }
}
