package dev.modelmux.node.protocol;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.admission.tenant.Ticket;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.ModelMetadataResponse;
import dev.modelmux.node.path.Deadlines;
import dev.modelmux.node.path.WireForm;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Open Inference Protocol over REST/JSON (KServe v2 paths), plus {@code /metrics}. Errors are
 * {@code {"error": "..."}} with the HTTP status matching the gRPC one.
 */
public final class RestApi {
    private static final Logger LOG = LoggerFactory.getLogger(RestApi.class);
    private static final String PROTOCOL = "rest";

    private final JsonCodec codec;
    private final PrometheusMeterRegistry prometheus;
    private final long maxBodyBytes;
    private final ApiContext api;

    public RestApi(ApiContext api, JsonCodec codec, PrometheusMeterRegistry prometheus, long maxBodyBytes) {
        this.api = api;
        this.codec = codec;
        this.prometheus = prometheus;
        this.maxBodyBytes = maxBodyBytes;
    }

    public Router router(Vertx vertx) {
        Router r = Router.router(vertx);
        r.get("/v2/health/live").handler(ctx -> json(ctx, 200, new JsonObject().put("live", true)));
        r.get("/v2/health/ready").handler(ctx -> {
            boolean ok = api.ready().getAsBoolean();
            json(ctx, ok ? 200 : 503, new JsonObject().put("ready", ok));
        });
        r.get("/v2")
                .handler(ctx -> json(
                        ctx,
                        200,
                        new JsonObject()
                                .put("name", api.info().name())
                                .put("version", api.info().version())
                                .put("extensions", new JsonArray(api.info().extensions()))));
        r.get("/v2/models/:model").handler(ctx -> metadata(ctx, null));
        r.get("/v2/models/:model/versions/:version").handler(ctx -> metadata(ctx, ctx.pathParam("version")));
        r.get("/v2/models/:model/ready").handler(ctx -> modelReady(ctx, null));
        r.get("/v2/models/:model/versions/:version/ready").handler(ctx -> modelReady(ctx, ctx.pathParam("version")));
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
        r.post("/v2/models/:model/infer").handler(body).handler(ctx -> infer(ctx, null));
        r.post("/v2/models/:model/versions/:version/infer")
                .handler(body)
                .handler(ctx -> infer(ctx, ctx.pathParam("version")));
        r.post("/v2/repository/index")
                .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
                .handler(this::index);
        r.post("/v2/repository/models/:model/load")
                .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
                .handler(ctx -> adminCall(ctx, m -> api.models().loadModel(m)));
        r.post("/v2/repository/models/:model/unload")
                .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
                .handler(ctx -> adminCall(ctx, m -> api.models().unloadModel(m)));
        r.get("/api/v1/cluster")
                .handler(ctx -> handle(ctx, () -> {
                    api.admin().check(ctx.request().getHeader("authorization"));
                    return api.cluster().view();
                }));
        r.get("/metrics")
                .handler(ctx -> ctx.response()
                        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(prometheus.scrape()));
        r.errorHandler(
                413, ctx -> error(ctx, 413, "request body exceeds the server's maximum of " + maxBodyBytes + " bytes"));
        r.errorHandler(404, ctx -> error(ctx, 404, "no such endpoint"));
        r.errorHandler(405, ctx -> error(ctx, 405, "method not allowed"));
        r.errorHandler(500, ctx -> {
            LOG.error("REST handler failed", ctx.failure());
            error(ctx, 500, "internal error; see the server log");
        });
        return r;
    }

    private void metadata(RoutingContext ctx, String version) {
        handle(
                ctx,
                () -> api.models().describe(ctx.pathParam("model"), version).map(v -> {
                    ModelMetadataResponse m = GrpcApi.metadata(v);
                    JsonArray versions = new JsonArray(m.getVersionsList());
                    JsonArray status = new JsonArray();
                    m.getVersionStatusList()
                            .forEach(s -> status.add(new JsonObject()
                                    .put("version", s.getVersion())
                                    .put("state", s.getState())
                                    .put("reason", s.getReason())
                                    .put("sha256", s.getSha256())));
                    return new JsonObject()
                            .put("name", m.getName())
                            .put("versions", versions)
                            .put("platform", m.getPlatform())
                            .put("inputs", tensors(m.getInputsList()))
                            .put("outputs", tensors(m.getOutputsList()))
                            .put("version_status", status);
                }));
    }

    private static JsonArray tensors(List<ModelMetadataResponse.TensorMetadata> list) {
        JsonArray a = new JsonArray();
        for (ModelMetadataResponse.TensorMetadata t : list) {
            a.add(new JsonObject()
                    .put("name", t.getName())
                    .put("datatype", t.getDatatype())
                    .put("shape", new JsonArray(t.getShapeList())));
        }
        return a;
    }

    private void modelReady(RoutingContext ctx, String version) {
        try {
            String name = ctx.pathParam("model");
            boolean ok = api.models().ready(name, version);
            json(ctx, ok ? 200 : 400, new JsonObject().put("name", name).put("ready", ok));
        } catch (RuntimeException e) {
            fail(ctx, e);
        }
    }

    private void infer(RoutingContext ctx, String version) {
        long start = api.nanoClock().getAsLong();
        String model = ctx.pathParam("model");
        handle(ctx, () -> {
            Ticket ticket = api.tenants()
                    .admit(
                            ctx.request().getHeader("authorization"),
                            model,
                            ctx.body().length());
            long deadline;
            try {
                deadline = Deadlines.fromHttpHeader(ctx.request().getHeader(Deadlines.HTTP_HEADER), start);
            } catch (RuntimeException e) {
                ticket.close();
                throw e;
            }
            return inferAdmitted(ctx, version, model, start, deadline, Caller.of(ticket.tenant()))
                    .andThen(ar -> ticket.close());
        });
    }

    private Future<Buffer> inferAdmitted(
            RoutingContext ctx, String version, String model, long start, long deadline, Caller caller) {
        return api.offload()
                .run(ctx.body().length(), () -> {
                    JsonObject body;
                    try {
                        body = ctx.body().asJsonObject();
                    } catch (DecodeException | ClassCastException e) {
                        throw ServingException.invalid("request body is not a JSON object");
                    }
                    if (body == null) {
                        throw ServingException.invalid("request body is empty; send a JSON object with 'inputs'");
                    }
                    return codec.decode(model, version, body, deadline);
                })
                .compose(req -> api.path().infer(req, caller, PROTOCOL, start, false))
                .compose(a -> {
                    InferenceResult result = a.forwarded() != null ? WireForm.fromWire(a.forwarded()) : a.result();
                    return api.offload()
                            .run(
                                    Offload.outputBytes(result),
                                    () -> JsonCodec.withParameters(
                                                    codec.encode(a.model(), a.version(), a.id(), result),
                                                    a.parameters())
                                            .toBuffer());
                });
    }

    private void index(RoutingContext ctx) {
        handle(ctx, () -> {
            boolean readyOnly = false;
            if (ctx.body().length() > 0) {
                try {
                    readyOnly = Boolean.TRUE.equals(ctx.body().asJsonObject().getValue("ready"));
                } catch (RuntimeException e) {
                    throw ServingException.invalid("request body is not a JSON object");
                }
            }
            JsonArray a = new JsonArray();
            for (ModelManager.IndexEntry e : api.models().index(readyOnly)) {
                JsonObject o = new JsonObject()
                        .put("name", e.name())
                        .put("version", e.version())
                        .put("state", e.state());
                if (!e.reason().isEmpty()) {
                    o.put("reason", e.reason());
                }
                if (!e.sha256().isEmpty()) {
                    o.put("sha256", e.sha256());
                }
                a.add(o);
            }
            return Future.succeededFuture(a);
        });
    }

    private void adminCall(RoutingContext ctx, Function<String, Future<Void>> action) {
        handle(ctx, () -> {
            api.admin().check(ctx.request().getHeader("authorization"));
            return action.apply(ctx.pathParam("model")).map(v -> new JsonObject());
        });
    }

    private void handle(RoutingContext ctx, Supplier<Future<?>> work) {
        Future<?> f;
        try {
            f = work.get();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                Object v = ar.result();
                ctx.response()
                        .setStatusCode(200)
                        .putHeader("content-type", "application/json")
                        .end(
                                v instanceof Buffer b
                                        ? b
                                        : Buffer.buffer(
                                                v instanceof JsonArray a ? a.encode() : ((JsonObject) v).encode()));
            } else {
                fail(ctx, ar.cause());
            }
        });
    }

    private static void fail(RoutingContext ctx, Throwable t) {
        ServingException se = ServingException.of(t);
        if (se.code() == ServingException.Code.INTERNAL) {
            LOG.error("REST {} failed", ctx.request().path(), t);
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
        json(ctx, status, new JsonObject().put("error", message));
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        if (!ctx.response().ended()) {
            ctx.response()
                    .setStatusCode(status)
                    .putHeader("content-type", "application/json")
                    .end(body.encode());
        }
    }
}
