package dev.modelmux.admin;

import java.util.OptionalLong;

/**
 * A failure of an admin route, typed by what the caller gets: the mapper answers it with its {@link
 * Kind}'s status and {@code {"error": message}}, so the message must be one a caller can act on, with
 * no stack trace, internal path or credential. Read models and actions fail with this (or with a
 * failure the backend's translator maps to it); nothing branches on the message.
 */
public final class AdminFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** What went wrong, as the HTTP status it is answered with. */
    public enum Kind {
        BAD_REQUEST(400),
        UNAUTHENTICATED(401),
        FORBIDDEN(403),
        NOT_FOUND(404),
        /** The request conflicts with the mesh's current state (pinned, draining, a stale version). */
        CONFLICT(409),
        TOO_LARGE(413),
        TOO_MANY_REQUESTS(429),
        INTERNAL(500),
        UNAVAILABLE(503),
        TIMEOUT(504);

        private final int status;

        Kind(int status) {
            this.status = status;
        }

        public int status() {
            return status;
        }

        /** The kind answered with {@code status}; INTERNAL for a status no kind has. */
        public static Kind of(int status) {
            for (Kind k : values()) {
                if (k.status == status) {
                    return k;
                }
            }
            return INTERNAL;
        }
    }

    private final Kind kind;
    private final long retryAfterMillis;
    private final long currentVersion;

    private AdminFailure(Kind kind, String message, long retryAfterMillis, long currentVersion) {
        super(message, null, false, false);
        this.kind = kind;
        this.retryAfterMillis = retryAfterMillis;
        this.currentVersion = currentVersion;
    }

    /** @param retryAfterMillis when a retry may succeed; 0 when unknown */
    public static AdminFailure of(Kind kind, String message, long retryAfterMillis) {
        return new AdminFailure(kind, message, Math.max(0, retryAfterMillis), -1);
    }

    public static AdminFailure of(Kind kind, String message) {
        return of(kind, message, 0);
    }

    public static AdminFailure badRequest(String message) {
        return of(Kind.BAD_REQUEST, message);
    }

    public static AdminFailure notFound(String message) {
        return of(Kind.NOT_FOUND, message);
    }

    public static AdminFailure conflict(String message) {
        return of(Kind.CONFLICT, message);
    }

    public static AdminFailure unauthenticated(String message) {
        return of(Kind.UNAUTHENTICATED, message);
    }

    /**
     * A write to a versioned policy (tenants, endpoints) that expected another version: a 409 whose
     * answer carries {@code policy_version} and the ETag of the version in force.
     */
    public static AdminFailure versionConflict(String message, long currentVersion) {
        if (currentVersion < 0) {
            throw new IllegalArgumentException("policy version must be >= 0, was " + currentVersion);
        }
        return new AdminFailure(Kind.CONFLICT, message, 0, currentVersion);
    }

    public Kind kind() {
        return kind;
    }

    /** When a retry may succeed, or 0 when unknown. */
    public long retryAfterMillis() {
        return retryAfterMillis;
    }

    /** The policy version in force, for a {@link #versionConflict}. */
    public OptionalLong currentVersion() {
        return currentVersion < 0 ? OptionalLong.empty() : OptionalLong.of(currentVersion);
    }
}
