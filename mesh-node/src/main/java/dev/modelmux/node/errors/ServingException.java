package dev.modelmux.node.errors;

import dev.modelmux.gpu.DeadlineExceededException;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.RunMemoryExceededException;
import dev.modelmux.repo.ModelNames;
import io.vertx.grpc.common.GrpcStatus;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;

/**
 * A request that cannot be served, with the status the caller gets and a message they can act
 * on. Messages never carry a stack trace, an internal path or a credential.
 */
public final class ServingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The protocol-independent outcome; each maps to one gRPC status and one HTTP status. */
    public enum Code {
        INVALID_ARGUMENT(GrpcStatus.INVALID_ARGUMENT, 400),
        NOT_FOUND(GrpcStatus.NOT_FOUND, 404),
        UNAVAILABLE(GrpcStatus.UNAVAILABLE, 503),
        UNAUTHENTICATED(GrpcStatus.UNAUTHENTICATED, 401),
        PERMISSION_DENIED(GrpcStatus.PERMISSION_DENIED, 403),
        RESOURCE_EXHAUSTED(GrpcStatus.RESOURCE_EXHAUSTED, 429),
        /** A message or body over the server's size limit: RESOURCE_EXHAUSTED over gRPC, 413 over HTTP. */
        TOO_LARGE(GrpcStatus.RESOURCE_EXHAUSTED, 413),
        DEADLINE_EXCEEDED(GrpcStatus.DEADLINE_EXCEEDED, 504),
        /** The node cannot store what the request needs kept (a full disk under the prediction log): 507 over HTTP. */
        INSUFFICIENT_STORAGE(GrpcStatus.RESOURCE_EXHAUSTED, 507),
        FAILED_PRECONDITION(GrpcStatus.FAILED_PRECONDITION, 400),
        /** The caller went away (cancelled its call, closed its connection) before the work started. */
        CANCELLED(GrpcStatus.CANCELLED, 499),
        INTERNAL(GrpcStatus.INTERNAL, 500);

        private final GrpcStatus grpc;
        private final int http;

        Code(GrpcStatus grpc, int http) {
            this.grpc = grpc;
            this.http = http;
        }

        public GrpcStatus grpc() {
            return grpc;
        }

        public int http() {
            return http;
        }

        /** Metric label. */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Why, where callers branch on more than the code (they never read the message). */
    public enum Reason {
        /** Nothing beyond the code. */
        UNSPECIFIED,
        /** A peer node could not be reached or stopped answering: another holder may serve the request. */
        PEER_UNREACHABLE
    }

    private final Code code;
    private final Reason reason;
    private final long retryAfterMillis;

    public ServingException(Code code, String message) {
        this(code, message, 0);
    }

    /** @param retryAfterMillis when a retry may succeed (RESOURCE_EXHAUSTED); 0 when unknown */
    public ServingException(Code code, String message, long retryAfterMillis) {
        this(code, Reason.UNSPECIFIED, message, retryAfterMillis);
    }

    private ServingException(Code code, Reason reason, String message, long retryAfterMillis) {
        super(message, null, false, false);
        this.code = code;
        this.reason = reason;
        this.retryAfterMillis = retryAfterMillis;
    }

    /** UNAVAILABLE because the peer holding the model could not be reached: retriable on another holder. */
    public static ServingException peerUnreachable(String message) {
        return new ServingException(Code.UNAVAILABLE, Reason.PEER_UNREACHABLE, message, 0);
    }

    public Reason reason() {
        return reason;
    }

    public long retryAfterMillis() {
        return retryAfterMillis;
    }

    public Code code() {
        return code;
    }

    public static ServingException invalid(String message) {
        return new ServingException(Code.INVALID_ARGUMENT, message);
    }

    public static ServingException notFound(String message) {
        return new ServingException(Code.NOT_FOUND, message);
    }

    public static ServingException unavailable(String message) {
        return new ServingException(Code.UNAVAILABLE, message);
    }

    /** A failure without the CompletionExceptions that asynchronous stages wrap around it. */
    public static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** Maps any failure to a ServingException; unexpected ones become INTERNAL without detail. */
    public static ServingException of(Throwable t) {
        Throwable c = unwrap(t);
        if (c instanceof ServingException s) {
            return s;
        }
        if (c instanceof DeadlineExceededException de) {
            return new ServingException(Code.DEADLINE_EXCEEDED, de.getMessage());
        }
        if (c instanceof RunMemoryExceededException re) {
            return new ServingException(Code.RESOURCE_EXHAUSTED, re.getMessage());
        }
        if (c instanceof InferenceException ie) {
            return new ServingException(ie.badInput() ? Code.INVALID_ARGUMENT : Code.INTERNAL, ie.getMessage());
        }
        if (c instanceof ModelLoadException le) {
            return new ServingException(
                    le.kind() == ModelLoadException.Kind.NO_CAPACITY ? Code.RESOURCE_EXHAUSTED : Code.UNAVAILABLE,
                    le.getMessage());
        }
        if (c instanceof ModelNames.InvalidModelNameException ne) {
            return invalid(ne.getMessage());
        }
        if (c instanceof RejectedExecutionException) {
            return new ServingException(Code.RESOURCE_EXHAUSTED, "the node is overloaded; retry later");
        }
        return new ServingException(Code.INTERNAL, "internal error; see the server log");
    }
}
