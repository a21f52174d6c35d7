package dev.modelmux.node.endpoints;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.features.FeatureStore;
import dev.modelmux.node.features.FeatureVector;
import dev.modelmux.node.predlog.LogLimits;
import dev.modelmux.node.predlog.PredictionRecord;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The decision API's request path: find the endpoint, fetch the entity's features (strict timeout,
 * defaults for what is missing), pick the version under the policy, then walk the ladder — primary
 * model, fallback model, rules over the features, safe default — until a step answers; turn the
 * score into a decision by the thresholds; then, off the response's path, log the request and send
 * the shadow copy (under {@code always} durability the record is fsynced before the answer). Every stage composes as Vert.x futures on the caller's event loop; the model
 * runs on its device's executor.
 */
public final class DecisionService {
    /** Steps of the ladder, as responses and the log name them. */
    public static final String PRIMARY = "primary";

    public static final String FALLBACK = "fallback";
    public static final String RULES = "rules";
    public static final String SAFE_DEFAULT = "safe_default";

    private static final int MAX_ID = 256;
    private static final int MAX_CONTEXT = 32;

    /** A decision request, as both front ends decode it. */
    public record Call(
            String requestId,
            String entityId,
            String endpoint,
            FeatureRefs featureRefs,
            Map<String, String> context,
            long startNanos,
            long deadlineNanos,
            Caller caller,
            String protocol) {}

    /**
     * A decision.
     *
     * @param model the model that scored; null when rules or the safe default answered
     */
    public record Result(
            String requestId,
            String endpoint,
            String model,
            long version,
            long policyVersion,
            double score,
            String decision,
            double confidence,
            String explanationsRef,
            String ladderStep,
            String fallbackReason,
            boolean featuresDefaulted,
            boolean featuresTimedOut) {
        public boolean fallbackUsed() {
            return !PRIMARY.equals(ladderStep);
        }

        /** {@code model:version}, or empty when no model answered. */
        public String modelVersion() {
            return model == null ? "" : model + ":" + version;
        }
    }

    private final Vertx vertx;
    private final EndpointSync sync;
    private final FeatureStore features;
    private final ModelStep steps;
    private final ShadowTraffic shadow;
    private final RecordSink sink;
    private final EndpointMetrics metrics;
    private final LongSupplier clock;

    DecisionService(
            Vertx vertx,
            EndpointSync sync,
            FeatureStore features,
            ModelStep steps,
            ShadowTraffic shadow,
            RecordSink sink,
            EndpointMetrics metrics,
            LongSupplier clock) {
        this.vertx = vertx;
        this.sync = sync;
        this.features = features;
        this.steps = steps;
        this.shadow = shadow;
        this.sink = sink;
        this.metrics = metrics;
        this.clock = clock;
    }

    public Future<Result> decide(Call c) {
        EndpointTable table = sync.table();
        check(c);
        EndpointDocument.Entry entry = table.find(c.endpoint())
                .orElseThrow(() -> ServingException.notFound("no endpoint '" + ModelNames.printable(c.endpoint())
                        + "' (policy version " + table.version() + ")"));
        EndpointSpec e = entry.spec();
        if (!e.decides()) {
            throw new ServingException(
                    ServingException.Code.FAILED_PRECONDITION,
                    "endpoint '" + e.name() + "' has no features and decision sections; call it with ModelInfer");
        }
        List<String> refs = refs(e, c.featureRefs().names());
        Map<String, List<String>> lookups =
                c.featureRefs().lookups(c.entityId(), refs, e.features().refs(), e.name());
        String requestId = c.requestId().isEmpty() ? UUID.randomUUID().toString() : c.requestId();
        Map<String, String> context = new HashMap<>(c.context());
        context.put("tenant", c.caller().tenantId());
        TargetRef primary = TrafficRouting.choose(e, c.entityId(), requestId, context);
        return fetchAll(e, lookups).compose(fv -> {
            Map<String, Double> values = new LinkedHashMap<>();
            float[] x = new float[e.features().refs().size()];
            for (int i = 0; i < x.length; i++) {
                String ref = e.features().refs().get(i);
                Double v = fv.values().get(ref);
                values.put(ref, v != null ? v : e.features().defaults().get(ref));
                x[i] = values.get(ref).floatValue();
            }
            // Under "always" the record is fsynced before the decision is answered (group commit, off
            // the event loop: the future completes on the log's writer and hops back to this context).
            boolean waits = sink.waits(e);
            Context here = vertx.getOrCreateContext();
            Future<Decided> decided = ladder(e, primary, x, values, c, requestId)
                    .map(a -> new Decided(
                            result(e, table.version(), requestId, a, fv), a, clock.getAsLong() - c.startNanos()));
            if (waits) {
                decided = decided.compose(
                        d -> sink.offerDurable(e, record(e, table.version(), requestId, c, values, d), here)
                                .map(d));
            }
            return decided.andThen(ar -> {
                        long took = clock.getAsLong() - c.startNanos();
                        metrics.answered(
                                e.name(),
                                "decide",
                                ar.succeeded() ? ar.result().result().ladderStep() : "error");
                        metrics.decided(e.name(), took);
                        if (ar.succeeded()) {
                            Decided d = ar.result();
                            // After the response is on its way: the log record (unless written already) and the shadow.
                            afterResponse(() -> {
                                if (!waits) {
                                    sink.offer(e, record(e, table.version(), requestId, c, values, d));
                                }
                                sendShadow(e, table.version(), x, values, c, requestId);
                            });
                        }
                    })
                    .map(Decided::result);
        });
    }

    private static PredictionRecord record(
            EndpointSpec e, long policyVersion, String requestId, Call c, Map<String, Double> values, Decided d) {
        Result r = d.result();
        return new PredictionRecord(
                "decide",
                requestId,
                c.caller().tenantId(),
                e.name(),
                r.model() == null ? "" : r.model(),
                r.version(),
                policyVersion,
                new LinkedHashMap<>(values),
                output(r, d.answered()),
                r.score(),
                r.decision(),
                TimeUnit.NANOSECONDS.toMicros(d.tookNanos()),
                r.ladderStep(),
                r.fallbackUsed(),
                System.currentTimeMillis());
    }

    /** Runs {@code r} once the current event-loop task (which writes the response) is done. */
    static void afterResponse(Runnable r) {
        Context ctx = Vertx.currentContext();
        if (ctx == null) {
            r.run();
        } else {
            ctx.runOnContext(v -> r.run());
        }
    }

    /** A decision with the ladder's answer it came from (for the log). */
    private record Decided(Result result, Answered answered, long tookNanos) {}

    /** What the ladder produced. */
    private record Answered(String step, ModelStep.Outcome model, EndpointSpec.Outcome fixed, String reason) {}

    private Future<Answered> ladder(
            EndpointSpec e, TargetRef primary, float[] x, Map<String, Double> values, Call c, String requestId) {
        return steps.run(e, primary, x, c.caller(), requestId, c.deadlineNanos(), "decide")
                .compose(p -> {
                    if (p.ok()) {
                        return Future.succeededFuture(new Answered(PRIMARY, p, null, ""));
                    }
                    String why = "primary " + primary + ": " + p.skipped().label();
                    if (e.ladder() == null) {
                        return Future.failedFuture(p.error());
                    }
                    TargetRef fb = e.ladder().fallback();
                    Future<ModelStep.Outcome> next = fb == null
                            ? Future.succeededFuture(null)
                            : steps.run(e, fb, x, c.caller(), requestId, c.deadlineNanos(), "decide");
                    return next.map(f -> {
                        if (f != null && f.ok()) {
                            return new Answered(FALLBACK, f, null, why);
                        }
                        String reason = f == null
                                ? why
                                : why + "; fallback " + fb + ": " + f.skipped().label();
                        for (EndpointSpec.Rule r : e.ladder().rules()) {
                            if (r.matches(values.get(r.feature()))) {
                                return new Answered(
                                        RULES, null, new EndpointSpec.Outcome(r.decision(), r.score()), reason);
                            }
                        }
                        return new Answered(SAFE_DEFAULT, null, e.ladder().safeDefault(), reason);
                    });
                });
    }

    private Result result(EndpointSpec e, long policyVersion, String requestId, Answered a, FeatureVector fv) {
        String expl =
                e.decision().explanationsRefPrefix() == null ? "" : e.decision().explanationsRefPrefix() + requestId;
        if (a.model() != null) {
            double s = a.model().score();
            return new Result(
                    requestId,
                    e.name(),
                    a.model().target().model(),
                    a.model().target().version(),
                    policyVersion,
                    s,
                    e.decision().decide(s),
                    e.decision().confidence(s),
                    expl,
                    a.step(),
                    a.reason(),
                    fv.anyDefaulted(),
                    fv.timedOut());
        }
        return new Result(
                requestId,
                e.name(),
                null,
                0,
                policyVersion,
                a.fixed().score(),
                a.fixed().decision(),
                0,
                expl,
                a.step(),
                a.reason(),
                fv.anyDefaulted(),
                fv.timedOut());
    }

    private static Map<String, Object> output(Result r, Answered a) {
        Map<String, Object> o = new LinkedHashMap<>();
        if (a != null
                && a.model() != null
                && a.model().output() != null
                && a.model().output().length <= 64) {
            List<Double> values = new ArrayList<>();
            for (double d : a.model().output()) {
                values.add(d);
            }
            o.put("values", values);
        }
        o.put("confidence", r.confidence());
        if (!r.fallbackReason().isEmpty()) {
            o.put("fallback_reason", r.fallbackReason());
        }
        if (r.featuresDefaulted()) {
            o.put("features_defaulted", true);
        }
        if (r.featuresTimedOut()) {
            o.put("features_timed_out", true);
        }
        return o;
    }

    private void sendShadow(
            EndpointSpec e, long policyVersion, float[] x, Map<String, Double> values, Call c, String requestId) {
        EndpointSpec.Shadow s = e.policy().shadow();
        if (s == null) {
            return;
        }
        long start = clock.getAsLong();
        shadow.send(
                e, requestId, c.caller(), () -> steps.request(e, s.target(), x, requestId, Long.MAX_VALUE), answer -> {
                    double[] out = ModelStep.output(answer, e.scoreOutput());
                    int index = e.decision().index();
                    Double score = index < out.length ? out[index] : null;
                    Map<String, Object> o = new LinkedHashMap<>();
                    if (out.length <= 64) {
                        List<Double> list = new ArrayList<>();
                        for (double d : out) {
                            list.add(d);
                        }
                        o.put("values", list);
                    }
                    sink.offer(
                            e,
                            new PredictionRecord(
                                    "shadow",
                                    requestId,
                                    c.caller().tenantId(),
                                    e.name(),
                                    s.target().model(),
                                    s.target().version(),
                                    policyVersion,
                                    new LinkedHashMap<>(values),
                                    o,
                                    score,
                                    score == null ? null : e.decision().decide(score),
                                    TimeUnit.NANOSECONDS.toMicros(clock.getAsLong() - start),
                                    "shadow",
                                    false,
                                    System.currentTimeMillis()));
                });
    }

    /** The features fetched within the endpoint's timeout; a store that does not answer in time gives the defaults. */
    /** Looks up each group of features under its key, at once, and joins the answers. */
    private Future<FeatureVector> fetchAll(EndpointSpec e, Map<String, List<String>> lookups) {
        if (lookups.size() == 1) {
            Map.Entry<String, List<String>> only = lookups.entrySet().iterator().next();
            return fetch(e, only.getKey(), only.getValue());
        }
        List<Future<FeatureVector>> parts = new ArrayList<>();
        lookups.forEach((key, refs) -> parts.add(fetch(e, key, refs)));
        return Future.join(parts).map(v -> {
            Map<String, Double> values = new LinkedHashMap<>();
            Map<String, FeatureVector.Source> sources = new LinkedHashMap<>();
            boolean defaulted = false;
            boolean timedOut = false;
            long age = 0;
            for (Future<FeatureVector> f : parts) {
                FeatureVector fv = f.result();
                values.putAll(fv.values());
                sources.putAll(fv.sources());
                defaulted |= fv.anyDefaulted();
                timedOut |= fv.timedOut();
                age = Math.max(age, fv.maxAgeMillis());
            }
            return new FeatureVector(values, sources, defaulted, timedOut, age);
        });
    }

    private Future<FeatureVector> fetch(EndpointSpec e, String entityId, List<String> refs) {
        EndpointSpec.Features f = e.features();
        Map<String, Double> defaults = new LinkedHashMap<>();
        refs.forEach(r -> defaults.put(r, f.defaults().get(r)));
        Context ctx = vertx.getOrCreateContext();
        Promise<FeatureVector> p = Promise.promise();
        // The store enforces the timeout itself; this guard only covers a store that breaks that contract.
        long guard = vertx.setTimer(
                f.timeoutMs() * 2 + 100, id -> p.tryComplete(defaults(defaults, FeatureVector.Source.DEFAULT_TIMEOUT)));
        try {
            Future.fromCompletionStage(
                            features.fetch(
                                    entityId,
                                    refs,
                                    defaults,
                                    Duration.ofMillis(f.timeoutMs()),
                                    Duration.ofMillis(f.cacheStalenessMs())),
                            ctx)
                    .onComplete(ar -> {
                        vertx.cancelTimer(guard);
                        p.tryComplete(
                                ar.succeeded() && ar.result() != null
                                        ? ar.result()
                                        : defaults(defaults, FeatureVector.Source.DEFAULT_ERROR));
                    });
        } catch (RuntimeException ex) {
            vertx.cancelTimer(guard);
            p.tryComplete(defaults(defaults, FeatureVector.Source.DEFAULT_ERROR));
        }
        return p.future();
    }

    private static FeatureVector defaults(Map<String, Double> defaults, FeatureVector.Source why) {
        Map<String, FeatureVector.Source> sources = new LinkedHashMap<>();
        defaults.keySet().forEach(k -> sources.put(k, why));
        return new FeatureVector(
                defaults, sources, !defaults.isEmpty(), why == FeatureVector.Source.DEFAULT_TIMEOUT, 0);
    }

    private static List<String> refs(EndpointSpec e, List<String> asked) {
        if (asked.isEmpty()) {
            return e.features().refs();
        }
        List<String> out = new ArrayList<>();
        for (String r : asked) {
            if (!e.features().refs().contains(r)) {
                throw ServingException.invalid(
                        "feature_refs: '" + ModelNames.printable(r) + "' is not a feature of endpoint '" + e.name()
                                + "' (its features: " + e.features().refs() + ")");
            }
            if (!out.contains(r)) {
                out.add(r);
            }
        }
        return out;
    }

    private static void check(Call c) {
        if (c.endpoint().isEmpty()) {
            throw ServingException.invalid("model_name is required: the name of an endpoint");
        }
        if (c.entityId().isEmpty()) {
            throw ServingException.invalid("entity_id is required: whose features to fetch");
        }
        LogLimits.checkId("request_id", c.requestId());
        LogLimits.checkId("entity_id", c.entityId());
        if (c.context().size() > MAX_CONTEXT) {
            throw ServingException.invalid("context has more than " + MAX_CONTEXT + " entries");
        }
        for (Map.Entry<String, String> kv : c.context().entrySet()) {
            if (kv.getKey().length() > MAX_ID || kv.getValue().length() > MAX_ID) {
                throw ServingException.invalid("context keys and values are at most " + MAX_ID + " characters");
            }
        }
    }
}
