package dev.modelmux.node.errors;

/**
 * A write to a versioned policy in the mesh (tenants, endpoints) that expected another version
 * ({@code If-Match}) or lost every retry to concurrent writers: answered 409 with the version in
 * force, so the caller can read it again and retry.
 */
public final class VersionConflict extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final long currentVersion;

    public VersionConflict(String message, long currentVersion) {
        super(message, null, false, false);
        this.currentVersion = currentVersion;
    }

    /** {@code what} (e.g. "the tenant policy is") at {@code current}, not the {@code expected} version. */
    public static VersionConflict expected(String what, long expected, long current) {
        return new VersionConflict(
                what + " at version " + current + ", not " + expected + " (If-Match); read it again and retry",
                current);
    }

    public long currentVersion() {
        return currentVersion;
    }
}
