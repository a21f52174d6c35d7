package dev.modelmux.gpu;

/**
 * A run refused before it started because an output it would compute from the request's values
 * needs more memory than the device's run limit ({@link PoolConfig#runLimitBytes}). Nothing was
 * allocated; the model and the device keep serving. Retrying the same request cannot succeed.
 * {@link #badInput()} is true: the request's data caused it, so a batch holding it is re-run member
 * by member and only this request fails.
 */
public final class RunMemoryExceededException extends InferenceException {
    private static final long serialVersionUID = 1L;

    private final long neededBytes;
    private final long limitBytes;

    public RunMemoryExceededException(String message, long neededBytes, long limitBytes) {
        super(message, true, null);
        this.neededBytes = neededBytes;
        this.limitBytes = limitBytes;
    }

    /** A lower bound on what the run would have allocated for its largest value-shaped output. */
    public long neededBytes() {
        return neededBytes;
    }

    public long limitBytes() {
        return limitBytes;
    }
}
