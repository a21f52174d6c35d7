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
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
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

    /**
     * The REST port's handler: {@code GET /v2/health/live} and {@code /v2/health/ready} answered at once,
     * before the router, credential gates or body handlers see the request; everything else goes to
     * {@code rest}. Nothing a probe does waits for another request's work.
     */
    public Handler<HttpServerRequest> probesFirst(Handler<HttpServerRequest> rest) {
        return req -> {
            if (req.method() == HttpMethod.GET) {
                String path = req.path();
                if ("/v2/health/live".equals(path)) {
                    probe(req, 200, LIVE);
                    return;
                }
                if ("/v2/health/ready".equals(path)) {
                    boolean ok = api.ready().getAsBoolean();
                    probe(req, ok ? 200 : 503, ok ? READY : NOT_READY);
                    return;
                }
            }
            rest.handle(req);
        };
    }

    private static final String LIVE = new JsonObject().put("live", true).encode();
    private static final String READY = new JsonObject().put("ready", true).encode();
    private static final String NOT_READY = new JsonObject().put("ready", false).encode();

    private static void probe(HttpServerRequest req, int status, String body) {
        HttpServerResponse r = req.response().setStatusCode(status).putHeader("content-type", "application/json");
        if (status >= 400) {
            r.putHeader("content-encoding", "identity");
        }
        r.end(body);
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
        Statistics statistics = new Statistics(api, api.stats(), api.peers());
        r.get("/v2/models/stats").handler(ctx -> stats(ctx, statistics, "", ""));
        r.get("/v2/models/:model/stats").handler(ctx -> stats(ctx, statistics, ctx.pathParam("model"), ""));
        r.get("/v2/models/:model/versions/:version/stats")
                .handler(ctx -> stats(ctx, statistics, ctx.pathParam("model"), ctx.pathParam("version")));
        r.get("/v2/models/:model").handler(ctx -> metadata(ctx, null));
        r.get("/v2/models/:model/versions/:version").handler(ctx -> metadata(ctx, ctx.pathParam("version")));
        r.get("/v2/models/:model/config").handler(ctx -> config(ctx, null));
        r.get("/v2/models/:model/versions/:version/config").handler(ctx -> config(ctx, ctx.pathParam("version")));
        r.get("/v2/models/:model/ready").handler(ctx -> modelReady(ctx, null));
        r.get("/v2/models/:model/versions/:version/ready").handler(ctx -> modelReady(ctx, ctx.pathParam("version")));
        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
        CredentialGate tenant = new CredentialGate(api.tenants()::authenticate);
        CredentialGate reader = new CredentialGate(a -> Visibility.of(api, a));
        CredentialGate admin = new CredentialGate(api.admin()::check);
        r.post("/v2/models/:model/infer").handler(tenant).handler(body).handler(ctx -> infer(ctx, null));
        r.post("/v2/models/:model/versions/:version/infer")
                .handler(tenant)
                .handler(body)
                .handler(ctx -> infer(ctx, ctx.pathParam("version")));
        r.post("/v2/repository/index")
                .handler(reader)
                .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
                .handler(this::index);
        r.post("/v2/repository/models/:model/load")
                .handler(admin)
                .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
                .handler(ctx -> adminCall(ctx, m -> api.models().loadModel(m)));
        r.post("/v2/repository/models/:model/unload")
                .handler(admin)
                .handler(BodyHandler.create(false).setBodyLimit(64 * 1024))
                .handler(ctx -> adminCall(ctx, m -> api.models().unloadModel(m)));
        // Triton extensions this server does not implement: a clear refusal rather than a 404.
        r.route()
                .pathRegex("/v2/(systemsharedmemory|cudasharedmemory)(/.*)?")
                .handler(ctx -> error(ctx, 501, "the shared-memory extensions are not supported by this server"));
        r.route()
                .pathRegex("/v2(/models/[^/]+)?/trace/setting")
                .handler(ctx -> error(ctx, 501, "the trace extension is not supported by this server"));
        r.route("/v2/logging").handler(ctx -> error(ctx, 501, "the logging extension is not supported by this server"));
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
                () -> visible(ctx).describe(ctx.pathParam("model"), version).map(v -> {
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

    private void stats(RoutingContext ctx, Statistics statistics, String model, String version) {
        handle(
                ctx,
                () -> statistics
                        .collect(
                                model,
                                version,
                                false,
                                Visibility.of(api, ctx.request().getHeader("authorization")))
                        .map(ProtoJson::toJson));
    }

    private void config(RoutingContext ctx, String version) {
        handle(
                ctx,
                () -> visible(ctx)
                        .describe(ctx.pathParam("model"), version)
                        .map(v -> ProtoJson.toJson(GrpcApi.effectiveConfig(v))));
    }

    /** The catalog, once the caller may see the route's model. */
    private ModelManager visible(RoutingContext ctx) {
        Visibility.check(api, ctx.request().getHeader("authorization"), ctx.pathParam("model"));
        return api.models();
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
            boolean ok =
                    Visibility.of(api, ctx.request().getHeader("authorization")).test(name)
                            && api.models().ready(name, version, api.readiness());
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

    private Future<JsonCodec.Encoded> inferAdmitted(
            RoutingContext ctx, String version, String model, long start, long deadline, Caller caller) {
        String encoding = ctx.request().getHeader("content-encoding");
        String headerLength = ctx.request().getHeader(HttpBody.HEADER_LENGTH);
        Buffer raw = ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer();
        return api.offload()
                .run(
                        raw.length() * (encoding == null ? 1L : 4L),
                        () -> codec.decode(
                                model, version, HttpBody.parse(raw, encoding, headerLength, maxBodyBytes), deadline))
                .compose(rest -> api.path()
                        .infer(rest.request(), caller, PROTOCOL, start, false)
                        .compose(a -> {
                            InferenceResult result =
                                    a.forwarded() != null ? WireForm.fromWire(a.forwarded()) : a.result();
                            return api.offload()
                                    .run(
                                            Offload.outputBytes(result),
                                            () -> codec.encode(
                                                    a.model(),
                                                    a.version(),
                                                    a.id(),
                                                    result,
                                                    a.parameters(),
                                                    rest::binary));
                        }));
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
            Predicate<String> may = Visibility.of(api, ctx.request().getHeader("authorization"));
            for (ModelManager.IndexEntry e : MeshIndex.of(api, readyOnly)) {
                if (!may.test(e.name())) {
                    continue;
                }
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
                if (v instanceof JsonCodec.Encoded e) {
                    if (e.binary()) {
                        ctx.response()
                                .putHeader("content-type", "application/octet-stream")
                                .putHeader(HttpBody.HEADER_LENGTH, Integer.toString(e.headerLength()));
                    } else {
                        ctx.response().putHeader("content-type", "application/json");
                    }
                    ctx.response().setStatusCode(200).end(e.body());
                    return;
                }
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
            if (status >= 400) {
                // Error bodies are never compressed: Triton's clients read them without decompressing.
                ctx.response().putHeader("content-encoding", "identity");
            }
            ctx.response()
                    .setStatusCode(status)
                    .putHeader("content-type", "application/json")
                    .end(body.encode());
        }
    }
}
