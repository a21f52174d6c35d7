package dev.modelmux.node.path;

import dev.modelmux.admission.sched.BatchPolicy;
import dev.modelmux.admission.sched.Caller;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.metrics.InferStats;
import dev.modelmux.node.metrics.NodeMetrics;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The data plane shared by gRPC and REST: resolve the model version (loading it if needed),
 * check the request against its signature, run it on the device, answer, record metrics.
 * Runs on the event loop except the inference itself, which the pool runs on a device thread.
 */
public final class InferencePath {
    private final Vertx vertx;
    private final ModelManager models;
    private final NodeMetrics metrics;
    private final LongSupplier nanoClock;
    private final Router router;
    private final DeviceSchedulers schedulers;
    private final LabelCache labels;
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile InferStats stats = new InferStats(System::currentTimeMillis);
    private final Map<LoadedModel, Optional<BatchPolicy>> batching = Collections.synchronizedMap(new WeakHashMap<>());

    /**
     * @param router decides when another node serves a request; null for a node on its own
     * @param schedulers the queue in front of each device
     */
    public InferencePath(
            Vertx vertx,
            ModelManager models,
            NodeMetrics metrics,
            LongSupplier nanoClock,
            Router router,
            DeviceSchedulers schedulers) {
        this.vertx = vertx;
        this.models = models;
        this.metrics = metrics;
        this.nanoClock = nanoClock;
        this.router = router;
        this.schedulers = schedulers;
        this.labels = new LabelCache(models);
        metrics.bindInFlight(inFlight::get);
    }

    /** Where requests that ran here are counted for the statistics extension (set before traffic). */
    public void stats(InferStats s) {
        this.stats = s;
    }

    /** The inferences a request carries: its batch size, or 1 for a model without a batch dimension. */
    private static long rows(LoadedModel model, InferRequest req) {
        if (model.config().getMaxBatchSize() > 0 && !req.inputs().isEmpty()) {
            long[] shape = req.inputs().get(0).shape();
            return shape.length > 0 ? Math.max(1, shape[0]) : 1;
        }
        return 1;
    }

    /** Requests received and not yet answered. */
    public int inFlight() {
        return inFlight.get();
    }

    /**
     * The answer to one request: the outputs computed here ({@code result}), or the response of the
     * node the request was forwarded to ({@code forwarded}), passed back as it came.
     */
    public record Answer(
            String model,
            long version,
            String id,
            InferenceResult result,
            ModelInferResponse forwarded,
            Map<String, Object> parameters) {
        public Answer {
            parameters = Map.copyOf(parameters);
        }

        public Answer(String model, long version, String id, InferenceResult result, ModelInferResponse forwarded) {
            this(model, version, id, result, forwarded, Map.of());
        }

        /** The same answer with response parameters added (an endpoint's name and policy version). */
        public Answer withParameters(Map<String, Object> p) {
            return new Answer(model, version, id, result, forwarded, p);
        }
    }

    /** Resolves requests that name an endpoint rather than a model (the endpoints package implements it). */
    public interface EndpointRouter {
        /** Whether {@code name} is an endpoint in force on this node. */
        boolean handles(String name);

        /** Serves a request for an endpoint: picks the version under its policy and calls {@link #inferModel}. */
        Future<Answer> infer(InferRequest request, Caller caller, String protocol, long startNanos);
    }

    private volatile EndpointRouter endpoints;

    /** Requests for an endpoint's name go to {@code router} from now on. */
    public void endpoints(EndpointRouter router) {
        this.endpoints = router;
    }

    /**
     * @param forwardedIn the request was forwarded here by another node: serve it here, never
     *     forward it again
     */
    public Future<Answer> infer(
            InferRequest request, Caller caller, String protocol, long startNanos, boolean forwardedIn) {
        EndpointRouter e = endpoints;
        if (e != null && !forwardedIn && e.handles(request.model())) {
            return e.infer(request, caller, protocol, startNanos);
        }
        return inferModel(request, caller, protocol, startNanos, forwardedIn);
    }

    /** As {@link #infer}, for a model name only (never resolved as an endpoint). */
    public Future<Answer> inferModel(
            InferRequest request, Caller caller, String protocol, long startNanos, boolean forwardedIn) {
        inFlight.incrementAndGet();
        InferRequest req;
        try {
            req = Deadlines.withTimeoutParameter(request, startNanos);
        } catch (RuntimeException e) {
            return failed(protocol, request, startNanos, e).andThen(ar -> inFlight.decrementAndGet());
        }
        return route(req, caller, protocol, startNanos, forwardedIn).andThen(ar -> {
            inFlight.decrementAndGet();
            String model = ar.succeeded() ? ar.result().model() : label(req, ar.cause());
            metrics.tenantRequest(
                    caller.tenantId(),
                    model,
                    ar.succeeded()
                            ? "success"
                            : ServingException.of(ar.cause()).code().label(),
                    nanoClock.getAsLong() - startNanos);
        });
    }

    private Future<Answer> route(
            InferRequest req, Caller caller, String protocol, long startNanos, boolean forwardedIn) {
        if (router == null || forwardedIn) {
            return local(req, caller, protocol, startNanos);
        }
        Future<Optional<ModelInferResponse>> routed;
        try {
            routed = router.route(req, caller.tenantId());
        } catch (RuntimeException e) {
            return failed(protocol, req, startNanos, e);
        }
        return routed.transform(ar -> {
            if (ar.failed()) {
                return failed(protocol, req, startNanos, ar.cause());
            }
            if (ar.result().isEmpty()) {
                return local(req, caller, protocol, startNanos);
            }
            ModelInferResponse r = ar.result().get();
            long version = Long.parseLong(r.getModelVersion());
            metrics.request(
                    protocol,
                    r.getModelName(),
                    r.getModelVersion(),
                    "forwarded",
                    nanoClock.getAsLong() - startNanos,
                    0,
                    0);
            return Future.succeededFuture(new Answer(r.getModelName(), version, req.id(), null, r));
        });
    }

    private Future<Answer> local(InferRequest req, Caller caller, String protocol, long startNanos) {
        Context ctx = vertx.getOrCreateContext();
        Future<Lease> lease;
        try {
            lease = models.acquire(
                    req.model(),
                    req.version(),
                    view -> InputValidator.validate(
                            view.config(), new ModelKey(view.name(), view.version()).toString(), req));
        } catch (RuntimeException e) {
            return failed(protocol, req, startNanos, e);
        }
        return lease.compose(l -> {
                    CompletableFuture<InferenceResult> result;
                    try {
                        Set<String> outputs = InputValidator.validate(l.model(), req);
                        BatchPolicy policy = batching.computeIfAbsent(l.model(), m -> Batching.policy(m.config()))
                                .orElse(null);
                        result = schedulers
                                .of(l.model().device().id())
                                .submit(
                                        caller,
                                        l,
                                        req.inputs(),
                                        outputs,
                                        req.deadlineNanos(),
                                        policy,
                                        Deadlines.priorityLevel(req, policy),
                                        req.cancel());
                    } catch (RuntimeException e) {
                        l.close();
                        return Future.failedFuture(e);
                    }
                    return Future.fromCompletionStage(result, ctx)
                            .compose(r -> req.classifications().isEmpty()
                                    ? Future.succeededFuture(r)
                                    : labels.of(l.model(), req.classifications().keySet())
                                            .map(lab -> Classifications.apply(
                                                    r,
                                                    req.classifications(),
                                                    l.model().config().getMaxBatchSize() > 0,
                                                    lab)))
                            .andThen(ar -> {
                                long took = nanoClock.getAsLong() - startNanos;
                                if (ar.succeeded()) {
                                    stats.success(l.model().key(), rows(l.model(), req), took, ar.result());
                                } else {
                                    stats.failure(l.model().key(), took);
                                }
                                l.close();
                            })
                            .map(r -> new Answer(
                                    l.model().key().model(), l.model().key().version(), req.id(), r, null));
                })
                .andThen(ar -> {
                    if (ar.succeeded()) {
                        Answer a = ar.result();
                        if (router != null) {
                            router.served(a.model(), a.version());
                        }
                        metrics.request(
                                protocol,
                                a.model(),
                                Long.toString(a.version()),
                                "success",
                                nanoClock.getAsLong() - startNanos,
                                a.result().queueNanos(),
                                a.result().computeNanos());
                    } else {
                        record(protocol, req, startNanos, ar.cause());
                    }
                })
                .recover(t -> Future.failedFuture(ServingException.of(t)));
    }

    private Future<Answer> failed(String protocol, InferRequest req, long startNanos, Throwable t) {
        record(protocol, req, startNanos, t);
        return Future.failedFuture(ServingException.of(t));
    }

    private void record(String protocol, InferRequest req, long startNanos, Throwable t) {
        metrics.request(
                protocol,
                label(req, t),
                "",
                ServingException.of(t).code().label(),
                nanoClock.getAsLong() - startNanos,
                0,
                0);
    }

    /** The model label of a failed request: its name when the repository knows it, never a raw request string. */
    private String label(InferRequest req, Throwable t) {
        ServingException se = ServingException.of(t);
        boolean known = se.code() != ServingException.Code.NOT_FOUND
                && ModelNames.isValid(req.model())
                && models.knows(req.model());
        return known ? req.model() : NodeMetrics.UNKNOWN_MODEL;
    }
}
