package dev.modelmux.gpu;

/**
 * An inference that the runtime rejected or that failed while running. The message is safe to
 * show a caller: it names tensors and shapes, never a file path or a stack trace.
 */
public class InferenceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Whether the caller's input caused it (INVALID_ARGUMENT) rather than the runtime (INTERNAL). */
    private final boolean badInput;

    public InferenceException(String message, boolean badInput, Throwable cause) {
        super(message, cause);
        this.badInput = badInput;
    }

    public boolean badInput() {
        return badInput;
    }
}
