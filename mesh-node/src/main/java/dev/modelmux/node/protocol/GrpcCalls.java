package dev.modelmux.node.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelmux.node.errors.ServingException;
import io.vertx.core.Future;
import io.vertx.core.http.StreamResetException;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds unary gRPC methods so that every call is answered exactly once: with the handler's
 * result, with the status its failure maps to, or at once with {@code INVALID_ARGUMENT} when the
 * request message cannot be decoded (Vert.x decodes a unary request lazily in
 * {@code GrpcServerRequest.last()}, whose failure nobody answers unless asked to), and never a
 * write to a stream the client has already cancelled.
 */
public final class GrpcCalls {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcCalls.class);

    private GrpcCalls() {}

    /**
     * Binds {@code method}; {@code fn} runs once the whole request has arrived and decoded.
     * {@code undecodable} is told the method's name for each message that could not be decoded.
     */
    public static <Q, R> void unary(
            GrpcServer server,
            ServiceMethod<Q, R> method,
            BiFunction<Q, GrpcServerRequest<Q, R>, Future<R>> fn,
            Consumer<String> undecodable) {
        unary(server, method, call -> {}, fn, undecodable);
    }

    /**
     * As {@link #unary(GrpcServer, ServiceMethod, BiFunction, Consumer)}, with {@code credentials} checked on
     * the call (its metadata, method and timeout) as soon as it arrives, before any of its message is read: a call it refuses is
     * answered at once and its stream reset, so an unauthenticated caller never gets a large message buffered
     * or parsed.
     */
    public static <Q, R> void unary(
            GrpcServer server,
            ServiceMethod<Q, R> method,
            Consumer<GrpcServerRequest<?, ?>> credentials,
            BiFunction<Q, GrpcServerRequest<Q, R>, Future<R>> fn,
            Consumer<String> undecodable) {
        String name = method.methodName();
        server.callHandler(method, call -> {
            try {
                credentials.accept(call);
            } catch (ServingException e) {
                refuse(call, e);
                return;
            }
            call.invalidMessageHandler(invalid -> {
                boolean tooBig = invalid instanceof MessageSizeOverflowException;
                if (!tooBig) {
                    undecodable.accept(name);
                }
                fail(
                        call,
                        tooBig ? GrpcStatus.RESOURCE_EXHAUSTED : GrpcStatus.INVALID_ARGUMENT,
                        tooBig
                                ? "request message exceeds the server's maximum message size"
                                : "request message could not be decoded");
            });
            // Answer only once the request stream has ended: replying while the client's end-of-stream
            // is still in flight can leave the call hanging on the client side.
            call.last().onComplete(last -> {
                if (last.failed()) {
                    Throwable t = last.cause();
                    if (t instanceof StreamResetException) {
                        LOG.debug("{}: the client cancelled the call before its request ended", name);
                        return;
                    }
                    undecodable.accept(name);
                    fail(
                            call,
                            GrpcStatus.INVALID_ARGUMENT,
                            "the request message could not be decoded as "
                                    + method.serviceName().fullyQualifiedName() + "." + name + "'s request: "
                                    + reason(t));
                    return;
                }
                Future<R> result;
                try {
                    result = fn.apply(last.result(), call);
                } catch (RuntimeException e) {
                    result = Future.failedFuture(e);
                }
                result.onComplete(ar -> {
                    if (ar.succeeded()) {
                        write(call, () -> call.response().end(ar.result()));
                        return;
                    }
                    ServingException se = ServingException.of(ar.cause());
                    if (se.code() == ServingException.Code.INTERNAL) {
                        LOG.error("{} failed", name, ar.cause());
                    }
                    write(call, () -> {
                        if (se.retryAfterMillis() > 0) {
                            call.response().trailers().set("retry-after-ms", Long.toString(se.retryAfterMillis()));
                        }
                        call.response()
                                .status(se.code().grpc())
                                .statusMessage(se.getMessage())
                                .end();
                    });
                });
            });
        });
    }

    /** Answers a call before reading its message, then resets the stream so the rest is never read. */
    static void refuse(GrpcServerRequest<?, ?> call, ServingException e) {
        write(call, () -> {
            call.response()
                    .status(e.code().grpc())
                    .statusMessage(e.getMessage())
                    .end();
            call.response().cancel();
        });
    }

    /** Why decoding failed, in protobuf's words (they name no path, class or input bytes). */
    static String reason(Throwable t) {
        Throwable c = t instanceof CodecException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof InvalidProtocolBufferException && c.getMessage() != null) {
            return c.getMessage();
        }
        if (c instanceof UnsupportedOperationException) {
            return "unsupported message encoding";
        }
        return "malformed message";
    }

    private static void fail(GrpcServerRequest<?, ?> call, GrpcStatus status, String message) {
        write(call, () -> call.response().status(status).statusMessage(message).end());
    }

    /**
     * Writes the answer unless the stream is gone: a call the client cancelled, or one Vert.x already
     * answered (its deadline passed), is cleaned up silently.
     */
    private static void write(GrpcServerRequest<?, ?> call, Runnable write) {
        try {
            write.run();
        } catch (IllegalStateException e) {
            // The stream closed between the check and the write (the client cancelled or reset it).
            LOG.debug("answer to a closed stream dropped: {}", e.getMessage());
        }
    }
}
