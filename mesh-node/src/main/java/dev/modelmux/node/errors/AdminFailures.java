package dev.modelmux.node.errors;

import dev.modelmux.admin.AdminFailure;
import java.util.Optional;

/**
 * The node's failure types as the admin routes answer them: a {@link ServingException} by its code
 * (a conflict with the mesh's state, FAILED_PRECONDITION, is a 409 there), a {@link VersionConflict}
 * as a 409 carrying the version in force. Anything else is unknown to the node, so a 500 that says
 * nothing internal (the admin mapper logs it).
 */
public final class AdminFailures {
    private AdminFailures() {}

    public static Optional<AdminFailure> of(Throwable t) {
        Throwable c = ServingException.unwrap(t);
        if (c instanceof VersionConflict v) {
            return Optional.of(AdminFailure.versionConflict(v.getMessage(), v.currentVersion()));
        }
        ServingException se = ServingException.of(c);
        if (se != c && se.code() == ServingException.Code.INTERNAL) {
            return Optional.empty();
        }
        return Optional.of(AdminFailure.of(kind(se.code()), se.getMessage(), se.retryAfterMillis()));
    }

    static AdminFailure.Kind kind(ServingException.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT -> AdminFailure.Kind.BAD_REQUEST;
            case NOT_FOUND -> AdminFailure.Kind.NOT_FOUND;
            case UNAVAILABLE, CANCELLED -> AdminFailure.Kind.UNAVAILABLE;
            case UNAUTHENTICATED -> AdminFailure.Kind.UNAUTHENTICATED;
            case PERMISSION_DENIED -> AdminFailure.Kind.FORBIDDEN;
            case RESOURCE_EXHAUSTED -> AdminFailure.Kind.TOO_MANY_REQUESTS;
            case TOO_LARGE -> AdminFailure.Kind.TOO_LARGE;
            case INSUFFICIENT_STORAGE -> AdminFailure.Kind.UNAVAILABLE;
            case DEADLINE_EXCEEDED -> AdminFailure.Kind.TIMEOUT;
            case FAILED_PRECONDITION -> AdminFailure.Kind.CONFLICT;
            case INTERNAL -> AdminFailure.Kind.INTERNAL;
        };
    }
}
