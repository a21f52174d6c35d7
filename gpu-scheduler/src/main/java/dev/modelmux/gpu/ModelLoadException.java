package dev.modelmux.gpu;

/**
 * A model version that did not pass its gate: unreadable or hostile artifact, session creation
 * failure, signature mismatch with its config, failed warm-up, or no room on any device. The
 * message is the reason shown to users (RepositoryIndex, UNAVAILABLE responses, the log): it
 * names the model and what is wrong, never an internal path.
 */
public class ModelLoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why it failed, for metrics labels. */
    public enum Kind {
        ARTIFACT,
        CONFIG,
        SIGNATURE,
        RUNTIME,
        WARMUP,
        NO_CAPACITY,
        SHUTDOWN
    }

    private final Kind kind;
    private final boolean transientFailure;

    public ModelLoadException(Kind kind, String message, Throwable cause) {
        this(kind, message, cause, false);
    }

    /**
     * @param transientFailure the artifact could not be read (an I/O error, a file that changed while it
     *     was read): nothing is known to be wrong with the model, and the same load may pass when tried again
     */
    public ModelLoadException(Kind kind, String message, Throwable cause, boolean transientFailure) {
        super(message, cause);
        this.kind = kind;
        this.transientFailure = transientFailure;
    }

    public Kind kind() {
        return kind;
    }

    /** Whether the failure may pass on its own (a read that failed), rather than a verdict on the model. */
    public boolean transientFailure() {
        return transientFailure;
    }
}
