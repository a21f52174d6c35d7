package dev.modelmux.node.protocol;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcService;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.oip.ModelStreamInferResponse;
import dev.modelmux.node.path.CancelSignal;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ModelStreamInfer}, the bidirectional stream Triton's streaming clients and
 * {@code perf_analyzer --streaming} use: one {@code ModelStreamInferResponse} per request message.
 *
 * <ul>
 *   <li>Each message is a request of its own: admitted (the tenant's key from the stream's metadata),
 *       queued fairly and batched like a unary call, under the stream's deadline and its own
 *       {@code timeout} parameter.
 *   <li>A request that fails is answered in the stream with {@code error_message} (and its id and model
 *       in {@code infer_response}); the stream stays open. So is a message that is not a valid request.
 *       Only a wrong or missing key ends the stream ({@code UNAUTHENTICATED}).
 *   <li>Responses come in request order, unless the client sends the metadata
 *       {@value #ORDER_HEADER}{@code : unordered}, which answers each as soon as it is done.
 *   <li>At most {@value #MAX_IN_FLIGHT} requests of a stream are in progress; beyond that the stream is
 *       not read (HTTP/2 flow control holds the client back).
 *   <li>When the client half-closes, the stream ends with OK once every response is written. A stream
 *       the client cancels (or whose deadline passes) is dropped quietly: nothing is written to it, and
 *       the requests still in progress finish and release what they hold.
 * </ul>
 *
 * <p>Everything here runs on the call's event loop.
 */
final class StreamInfer {
    private static final Logger LOG = LoggerFactory.getLogger(StreamInfer.class);
    static final String ORDER_HEADER = "x-modelmux-stream-order";
    static final int MAX_IN_FLIGHT = 64;

    private final ApiContext api;
    private final GrpcApi grpc;
    private final GrpcServer server;

    StreamInfer(ApiContext api, GrpcApi grpc, GrpcServer server) {
        this.api = api;
        this.grpc = grpc;
        this.server = server;
    }

    void bind() {
        server.callHandler(GRPCInferenceServiceGrpcService.ModelStreamInfer, call -> new Session(call).start());
    }

    /** One stream. */
    private final class Session {
        private final GrpcServerRequest<ModelInferRequest, ModelStreamInferResponse> call;
        private final boolean ordered;
        private final long streamDeadline;
        private final Deque<Pending> pending = new ArrayDeque<>();
        private int inFlight;
        private long received;
        private boolean inputEnded;
        private boolean closed;
        private boolean paused;
        /** Set when the stream goes: requests of it that have not started on a device are dropped. */
        private final CancelSignal cancel = CancelSignal.create();

        Session(GrpcServerRequest<ModelInferRequest, ModelStreamInferResponse> call) {
            this.call = call;
            this.ordered = !"unordered".equalsIgnoreCase(call.headers().get(ORDER_HEADER));
            long start = api.nanoClock().getAsLong();
            long timeoutMs = call.timeout();
            this.streamDeadline = timeoutMs > 0 ? start + timeoutMs * 1_000_000L : Long.MAX_VALUE;
        }

        void start() {
            try {
                // Peers never stream: a stream is a tenant's, whatever hop headers it carries.
                api.tenants().authenticate(call.headers().get("authorization"));
            } catch (ServingException e) {
                closed = true;
                GrpcCalls.refuse(call, e);
                return;
            }
            call.errorHandler(error -> {
                closed = true;
                cancel.cancel();
            });
            call.exceptionHandler(t -> {
                closed = true;
                cancel.cancel();
            });
            call.invalidMessageHandler(invalid -> {
                boolean tooBig = invalid instanceof io.vertx.grpc.common.MessageSizeOverflowException;
                received++;
                answerAlone(
                        tooBig
                                ? "stream message #" + received + " exceeds the server's maximum message size"
                                : "stream message #" + received + " could not be decoded");
            });
            call.messageHandler(this::message);
            call.endHandler(v -> {
                inputEnded = true;
                finishIfDone();
            });
        }

        private void message(GrpcMessage raw) {
            long n = ++received;
            if (closed) {
                return;
            }
            ModelInferRequest req;
            try {
                req = grpc.parseInfer(raw.payload().getBytes());
            } catch (InvalidProtocolBufferException e) {
                api.metrics().undecodable("ModelStreamInfer");
                answerAlone("stream message #" + n + " could not be decoded as inference.ModelInferRequest: "
                        + GrpcCalls.reason(e));
                return;
            } catch (ServingException e) {
                answerAlone("stream message #" + n + ": " + e.getMessage());
                return;
            }
            long start = api.nanoClock().getAsLong();
            Future<ModelInferResponse> f;
            try {
                f = grpc.infer(req, call.headers(), start, streamDeadline, false, cancel);
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            Pending p = new Pending();
            pending.addLast(p);
            inFlight++;
            if (inFlight >= MAX_IN_FLIGHT && !paused) {
                paused = true;
                call.pause();
            }
            f.onComplete(ar -> {
                inFlight--;
                if (ar.succeeded()) {
                    p.response = ModelStreamInferResponse.newBuilder()
                            .setInferResponse(ar.result())
                            .build();
                } else {
                    ServingException se = ServingException.of(ar.cause());
                    if (se.code() == ServingException.Code.UNAUTHENTICATED) {
                        fail(GrpcStatus.UNAUTHENTICATED, se.getMessage());
                        return;
                    }
                    if (se.code() == ServingException.Code.INTERNAL) {
                        LOG.error("ModelStreamInfer request failed", ar.cause());
                    }
                    p.response = error(req, se.getMessage());
                }
                flush(p);
                if (paused && inFlight < MAX_IN_FLIGHT / 2 && !closed) {
                    paused = false;
                    call.resume();
                }
            });
        }

        /** A response that needs no work (an undecodable message), in its place in the order. */
        private void answerAlone(String message) {
            if (closed) {
                return;
            }
            Pending p = new Pending();
            p.response = error(null, message);
            pending.addLast(p);
            flush(p);
        }

        private void flush(Pending done) {
            if (closed) {
                pending.clear();
                return;
            }
            if (!ordered) {
                pending.remove(done);
                write(done.response);
            } else {
                while (!pending.isEmpty() && pending.peekFirst().response != null) {
                    write(pending.pollFirst().response);
                }
            }
            finishIfDone();
        }

        private void write(ModelStreamInferResponse r) {
            try {
                call.response().write(r);
            } catch (IllegalStateException e) {
                closed = true; // the client cancelled, or the stream's deadline passed
                LOG.debug("stream closed before its answer: {}", e.getMessage());
            }
        }

        private void finishIfDone() {
            if (inputEnded && pending.isEmpty() && inFlight == 0 && !closed) {
                closed = true;
                try {
                    call.response().end();
                } catch (IllegalStateException e) {
                    LOG.debug("stream closed before its end: {}", e.getMessage());
                }
            }
        }

        private void fail(GrpcStatus status, String message) {
            if (closed) {
                return;
            }
            closed = true;
            pending.clear();
            try {
                call.response().status(status).statusMessage(message).end();
            } catch (IllegalStateException e) {
                LOG.debug("stream closed before its failure: {}", e.getMessage());
            }
        }

        private ModelStreamInferResponse error(ModelInferRequest req, String message) {
            ModelInferResponse.Builder r = ModelInferResponse.newBuilder();
            if (req != null) {
                r.setModelName(req.getModelName())
                        .setModelVersion(req.getModelVersion())
                        .setId(req.getId());
            }
            return ModelStreamInferResponse.newBuilder()
                    .setErrorMessage(message)
                    .setInferResponse(r)
                    .build();
        }
    }

    /** A request of the stream, answered once {@code response} is set. */
    private static final class Pending {
        ModelStreamInferResponse response;
    }
}
