package dev.modelmux.node.endpoints;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.admission.tenant.Ticket;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.path.EdgeAdmission;
import dev.modelmux.node.protocol.CredentialGate;
import dev.modelmux.node.protocol.GrpcCalls;
import dev.modelmux.node.v1.DecideResponse;
import dev.modelmux.node.v1.DecisionsGrpcService;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.grpc.server.GrpcServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decision API's two front ends: gRPC {@code modelmux.v1.Decisions/Decide} on the node's gRPC
 * server, and {@code POST /api/v1/decide} (snake_case JSON, the same fields). Tenant admission runs
 * first, as for ModelInfer, on the endpoint's name ({@code model_name}): the bearer key, the
 * tenant's {@code models} globs matched against the endpoint's name, its quota. The deadline comes
 * from the gRPC deadline, or over REST the header {@code x-modelmux-timeout-ms}.
 */
final class DecideApi {
    private static final Logger LOG = LoggerFactory.getLogger(DecideApi.class);
    static final String PATH = "/api/v1/decide";
    private static final String TIMEOUT_HEADER = "x-modelmux-timeout-ms";
    private static final int MAX_BODY = 64 * 1024;

    private final DecisionService decisions;
    private final EdgeAdmission tenants;
    private final LongSupplier clock;
    private final Consumer<String> undecodable;

    DecideApi(DecisionService decisions, EdgeAdmission tenants, LongSupplier clock, Consumer<String> undecodable) {
        this.undecodable = undecodable;
        this.decisions = decisions;
        this.tenants = tenants;
        this.clock = clock;
    }

    void bind(GrpcServer server) {
        GrpcCalls.unary(
                server,
                DecisionsGrpcService.Decide,
                call -> tenants.authenticate(call.headers().get("authorization")),
                (req, call) -> {
                    long start = clock.getAsLong();
                    long timeoutMs = call.timeout();
                    Ticket ticket = tenants.admit(
                            call.headers().get("authorization"), req.getModelName(), req.getSerializedSize());
                    DecisionService.Call c = new DecisionService.Call(
                            req.getRequestId(),
                            req.getEntityId(),
                            req.getModelName(),
                            req.getFeatureRefKeysCount() > 0
                                    ? FeatureRefs.keyed(req.getFeatureRefKeysMap())
                                    : FeatureRefs.of(req.getFeatureRefsList()),
                            req.getContextMap(),
                            start,
                            timeoutMs > 0 ? start + TimeUnit.MILLISECONDS.toNanos(timeoutMs) : Long.MAX_VALUE,
                            Caller.of(ticket.tenant()),
                            "grpc");
                    return run(c, ticket).map(DecideApi::proto);
                },
                undecodable);
    }

    void mount(Router r) {
        r.post(PATH)
                .handler(new CredentialGate(tenants::authenticate))
                .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY))
                .handler(this::rest)
                .failureHandler(ctx -> {
                    if (ctx.statusCode() == 413) {
                        error(ctx, 413, "request body exceeds the maximum of " + MAX_BODY + " bytes");
                    } else if (ctx.failure() != null) {
                        fail(ctx, ctx.failure());
                    } else {
                        ctx.next();
                    }
                });
    }

    private void rest(RoutingContext ctx) {
        long start = clock.getAsLong();
        Future<JsonObject> f;
        try {
            JsonObject body;
            try {
                body = ctx.body().asJsonObject();
            } catch (RuntimeException e) {
                throw ServingException.invalid("request body is not a JSON object");
            }
            if (body == null) {
                throw ServingException.invalid("request body is empty; send {\"entity_id\", \"model_name\", ...}");
            }
            String model = string(body, "model_name");
            Ticket ticket = tenants.admit(
                    ctx.request().getHeader("authorization"), model, ctx.body().length());
            long deadline;
            try {
                deadline = deadline(ctx.request().getHeader(TIMEOUT_HEADER), start);
            } catch (RuntimeException e) {
                ticket.close();
                throw e;
            }
            DecisionService.Call c;
            try {
                c = new DecisionService.Call(
                        string(body, "request_id"),
                        string(body, "entity_id"),
                        model,
                        refs(body),
                        context(body),
                        start,
                        deadline,
                        Caller.of(ticket.tenant()),
                        "rest");
            } catch (RuntimeException e) {
                ticket.close();
                throw e;
            }
            f = run(c, ticket).map(DecideApi::json);
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                if (!ctx.response().ended()) {
                    ctx.response()
                            .setStatusCode(200)
                            .putHeader("content-type", "application/json")
                            .end(ar.result().encode());
                }
            } else {
                fail(ctx, ar.cause());
            }
        });
    }

    private Future<DecisionService.Result> run(DecisionService.Call c, Ticket ticket) {
        Future<DecisionService.Result> f;
        try {
            f = decisions.decide(c);
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        return f.andThen(ar -> ticket.close());
    }

    static JsonObject json(DecisionService.Result r) {
        JsonObject o = new JsonObject()
                .put("request_id", r.requestId())
                .put("endpoint", r.endpoint())
                .put("model_version", r.modelVersion())
                .put("policy_version", Long.toString(r.policyVersion()))
                .put("score", r.score())
                .put("decision", r.decision())
                .put("confidence", r.confidence())
                .put("explanations_ref", r.explanationsRef())
                .put("fallback_used", r.fallbackUsed())
                .put("ladder_step", r.ladderStep());
        if (!r.fallbackReason().isEmpty()) {
            o.put("fallback_reason", r.fallbackReason());
        }
        return o.put("features_defaulted", r.featuresDefaulted()).put("features_timed_out", r.featuresTimedOut());
    }

    static DecideResponse proto(DecisionService.Result r) {
        return DecideResponse.newBuilder()
                .setRequestId(r.requestId())
                .setEndpoint(r.endpoint())
                .setModelVersion(r.modelVersion())
                .setPolicyVersion(Long.toString(r.policyVersion()))
                .setScore(r.score())
                .setDecision(r.decision())
                .setConfidence(r.confidence())
                .setExplanationsRef(r.explanationsRef())
                .setFallbackUsed(r.fallbackUsed())
                .setLadderStep(r.ladderStep())
                .setFallbackReason(r.fallbackReason())
                .setFeaturesDefaulted(r.featuresDefaulted())
                .setFeaturesTimedOut(r.featuresTimedOut())
                .build();
    }

    private static String string(JsonObject body, String key) {
        Object v = body.getValue(key);
        if (v == null) {
            return "";
        }
        if (!(v instanceof String s)) {
            throw ServingException.invalid("'" + key + "' must be a string");
        }
        return s;
    }

    /** {@code feature_refs}: an array of feature names, or an object of feature group or name to lookup key. */
    private static FeatureRefs refs(JsonObject body) {
        Object v = body.getValue("feature_refs");
        if (v == null) {
            return FeatureRefs.ALL;
        }
        if (v instanceof JsonObject o) {
            Map<String, String> keys = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : o) {
                if (!(e.getValue() instanceof String key)) {
                    throw ServingException.invalid("'feature_refs' as an object maps a feature group or feature name"
                            + " to the key to look it up under (a string), e.g. {\"user\": \"user-42\"}");
                }
                keys.put(e.getKey(), key);
            }
            return FeatureRefs.keyed(keys);
        }
        if (!(v instanceof JsonArray a)) {
            throw ServingException.invalid("'feature_refs' must be an array of feature names or an object of"
                    + " feature group or name to lookup key");
        }
        List<String> out = new ArrayList<>();
        for (Object o : a) {
            if (!(o instanceof String s)) {
                throw ServingException.invalid("'feature_refs' as an array holds feature names (strings)");
            }
            out.add(s);
        }
        return FeatureRefs.of(out);
    }

    private static Map<String, String> context(JsonObject body) {
        Object v = body.getValue("context");
        if (v == null) {
            return Map.of();
        }
        if (!(v instanceof JsonObject o)) {
            throw ServingException.invalid("'context' must be an object of strings");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : o) {
            Object val = e.getValue();
            if (!(val instanceof String || val instanceof Number || val instanceof Boolean)) {
                throw ServingException.invalid("context." + ModelNames.printable(e.getKey()) + " must be a string");
            }
            out.put(e.getKey(), String.valueOf(val));
        }
        return out;
    }

    private static long deadline(String header, long start) {
        if (header == null) {
            return Long.MAX_VALUE;
        }
        long ms;
        try {
            ms = Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            throw ServingException.invalid("header " + TIMEOUT_HEADER + " must be a whole number of milliseconds");
        }
        if (ms <= 0 || ms > 3_600_000) {
            throw ServingException.invalid("header " + TIMEOUT_HEADER + " must be in [1, 3600000] ms, was " + ms);
        }
        return start + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private static void fail(RoutingContext ctx, Throwable t) {
        ServingException se = ServingException.of(t);
        if (se.code() == ServingException.Code.INTERNAL) {
            LOG.error("REST {} failed", PATH, t);
        }
        if (se.code() == ServingException.Code.UNAUTHENTICATED) {
            ctx.response().putHeader("www-authenticate", "Bearer");
        }
        if (se.retryAfterMillis() > 0) {
            ctx.response().putHeader("retry-after", Long.toString(Math.max(1, (se.retryAfterMillis() + 999) / 1000)));
        }
        error(ctx, se.code().http(), se.getMessage());
    }

    private static void error(RoutingContext ctx, int status, String message) {
        if (!ctx.response().ended()) {
            ctx.response()
                    .setStatusCode(status)
                    .putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", message).encode());
        }
    }
}
