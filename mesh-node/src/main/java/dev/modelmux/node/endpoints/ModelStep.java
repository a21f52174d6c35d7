package dev.modelmux.node.endpoints;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.path.InferencePath;
import dev.modelmux.repo.DataType;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.vertx.core.Future;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One model step of a decision: the feature vector through one model version, on the mesh's
 * request path (routed, queued, batched like any request), read back as a score. A step is passed
 * over, and says why, when the deadline is near (less than the ladder's margin plus the version's
 * recent p50 remains), its circuit breaker is open, the version cannot be loaded (UNAVAILABLE, or
 * no longer served), the device scheduler shed the request (RESOURCE_EXHAUSTED), or it failed
 * otherwise. The breaker records failures and timeouts; a shed request is not the model's fault and
 * is not recorded. Never fails: the outcome carries the reason.
 */
final class ModelStep {
    /** Why a step did not answer. */
    enum Skip {
        UNAVAILABLE,
        CIRCUIT_OPEN,
        DEADLINE,
        SHED,
        ERROR;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A step's result: a score, or why there is none. */
    record Outcome(TargetRef target, double score, double[] output, long nanos, Skip skipped, ServingException error) {
        boolean ok() {
            return skipped == null;
        }

        static Outcome skipped(TargetRef t, Skip why, ServingException error) {
            return new Outcome(t, Double.NaN, null, 0, why, error);
        }
    }

    private final InferencePath path;
    private final ModelManager models;
    private final Breakers breakers;
    private final RecentLatency latency;
    private final LongSupplier clock;
    private final Map<TargetRef, Integer> maxBatch = new ConcurrentHashMap<>();

    ModelStep(InferencePath path, ModelManager models, Breakers breakers, RecentLatency latency, LongSupplier clock) {
        this.path = path;
        this.models = models;
        this.breakers = breakers;
        this.latency = latency;
        this.clock = clock;
    }

    /** Forgets cached model facts (a new policy version may point at other versions). */
    void invalidate() {
        maxBatch.clear();
    }

    Future<Outcome> run(
            EndpointSpec e,
            TargetRef t,
            float[] x,
            Caller caller,
            String requestId,
            long deadlineNanos,
            String protocol) {
        long start = clock.getAsLong();
        long margin = e.ladder() == null
                ? 0
                : TimeUnit.MILLISECONDS.toNanos(e.ladder().deadlineMarginMs());
        if (deadlineNanos != Long.MAX_VALUE && deadlineNanos - start < margin + latency.p50Nanos(t)) {
            return Future.succeededFuture(Outcome.skipped(
                    t,
                    Skip.DEADLINE,
                    new ServingException(ServingException.Code.DEADLINE_EXCEEDED, "not enough time left to run " + t)));
        }
        CircuitBreaker cb = breakers.of(t, e.breaker());
        if (!cb.tryAcquirePermission()) {
            return Future.succeededFuture(Outcome.skipped(
                    t, Skip.CIRCUIT_OPEN, ServingException.unavailable("the circuit breaker of " + t + " is open")));
        }
        long modelDeadline = deadlineNanos == Long.MAX_VALUE ? deadlineNanos : deadlineNanos - margin;
        Future<double[]> scored;
        try {
            scored = request(e, t, x, requestId, modelDeadline)
                    .compose(req -> path.inferModel(req, caller, protocol, start, false))
                    .map(a -> output(a, e.scoreOutput()));
        } catch (RuntimeException ex) {
            scored = Future.failedFuture(ex);
        }
        return scored.transform(ar -> {
            long took = clock.getAsLong() - start;
            if (ar.succeeded()) {
                double[] out = ar.result();
                int index = e.decision() == null ? 0 : e.decision().index();
                if (index >= out.length) {
                    cb.onError(took, TimeUnit.NANOSECONDS, new IllegalStateException("index"));
                    return Future.succeededFuture(Outcome.skipped(
                            t,
                            Skip.ERROR,
                            new ServingException(
                                    ServingException.Code.INTERNAL,
                                    "decision.index " + index + " is past the " + out.length + " values of " + t
                                            + "'s output")));
                }
                cb.onSuccess(took, TimeUnit.NANOSECONDS);
                latency.record(t, took);
                return Future.succeededFuture(new Outcome(t, out[index], out, took, null, null));
            }
            ServingException se = ServingException.of(ar.cause());
            Skip why = classify(se);
            if (why == Skip.SHED) {
                cb.releasePermission();
            } else {
                cb.onError(took, TimeUnit.NANOSECONDS, se);
            }
            return Future.succeededFuture(Outcome.skipped(t, why, se));
        });
    }

    static Skip classify(ServingException se) {
        switch (se.code()) {
            case UNAVAILABLE:
            case NOT_FOUND:
                return Skip.UNAVAILABLE;
            case RESOURCE_EXHAUSTED:
                return Skip.SHED;
            case DEADLINE_EXCEEDED:
                return Skip.DEADLINE;
            default:
                return Skip.ERROR;
        }
    }

    /** The feature vector as a request for {@code t}: {@code [1, n]} for a batching model, the schema's dims otherwise. */
    Future<InferRequest> request(EndpointSpec e, TargetRef t, float[] x, String requestId, long deadlineNanos) {
        return batchSize(t).map(mb -> {
            EndpointSpec.Tensor in = e.schema().inputs().get(0);
            long[] shape;
            if (mb > 0) {
                shape = new long[] {1, x.length};
            } else if (in.dims().stream().allMatch(d -> d > 0)) {
                shape = in.dims().stream().mapToLong(Long::longValue).toArray();
            } else {
                shape = new long[] {x.length};
            }
            ByteBuffer b = ByteBuffer.allocate(x.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : x) {
                b.putFloat(f);
            }
            b.flip();
            return new InferRequest(
                    t.model(),
                    Long.toString(t.version()),
                    requestId,
                    List.of(TensorData.ofRaw(in.name(), DataType.FP32, shape, b)),
                    List.of(e.scoreOutput()),
                    Map.of(),
                    deadlineNanos,
                    null);
        });
    }

    private Future<Integer> batchSize(TargetRef t) {
        Integer known = maxBatch.get(t);
        if (known != null) {
            return Future.succeededFuture(known);
        }
        return models.describe(t.model(), Long.toString(t.version())).map(v -> {
            int mb = v.config().getMaxBatchSize();
            maxBatch.put(t, mb);
            return mb;
        });
    }

    /** The values of output {@code name} of an answer computed here or by a peer, as doubles. */
    static double[] output(InferencePath.Answer a, String name) {
        if (a.result() != null) {
            for (TensorData t : a.result().outputs()) {
                if (t.name().equals(name)) {
                    return values(t.type(), t.raw());
                }
            }
        } else {
            ModelInferResponse r = a.forwarded();
            for (int i = 0; i < r.getOutputsCount(); i++) {
                if (r.getOutputs(i).getName().equals(name)) {
                    DataType type =
                            DataType.fromProtocol(r.getOutputs(i).getDatatype()).orElse(DataType.BYTES);
                    return values(type, r.getRawOutputContents(i).asReadOnlyByteBuffer());
                }
            }
        }
        throw new ServingException(ServingException.Code.INTERNAL, "the model's answer has no output '" + name + "'");
    }

    private static double[] values(DataType type, ByteBuffer raw) {
        ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (type == DataType.FP32) {
            double[] out = new double[b.remaining() / 4];
            for (int i = 0; i < out.length; i++) {
                out[i] = b.getFloat();
            }
            return out;
        }
        if (type == DataType.FP64) {
            double[] out = new double[b.remaining() / 8];
            for (int i = 0; i < out.length; i++) {
                out[i] = b.getDouble();
            }
            return out;
        }
        throw new ServingException(
                ServingException.Code.INTERNAL, "the score's output is " + type + ", not FP32 or FP64");
    }
}
