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

    public ModelLoadException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
