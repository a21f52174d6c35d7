package dev.modelmux.node.endpoints;

import dev.modelmux.node.admin.AdminRoutes;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.security.AdminAuth;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The endpoints admin API under {@value #BASE}, every route behind the admin token:
 *
 * <ul>
 *   <li>{@code GET /api/v1/endpoints}, {@code GET /api/v1/endpoints/{name}}
 *   <li>{@code PUT /api/v1/endpoints/{name}} (one endpoint object), {@code PUT /api/v1/endpoints} (a
 *       whole file: exactly these endpoints), {@code DELETE /api/v1/endpoints/{name}}
 *   <li>{@code POST /api/v1/endpoints/{name}/switch} {@code {"active": "green"}}: blue-green switch
 *   <li>{@code POST /api/v1/endpoints/{name}/rollback}: back to the endpoint's previous definition
 * </ul>
 *
 * Every write runs the promotion gate and loads the targets before it commits (see {@link
 * Promotion}); {@code If-Match: <policy_version>} makes it conditional (409 with the current
 * version otherwise). Answers carry {@code ETag: "<policy_version>"}. A bad body is a 400 naming the
 * field; a target that cannot join or load is a 409 with the reason.
 */
final class EndpointsAdmin {
    static final String BASE = "/api/v1/endpoints";

    private final Vertx vertx;
    private final AdminAuth admin;
    private final EndpointSync sync;
    private final Promotion promotion;
    private final Breakers breakers;

    EndpointsAdmin(Vertx vertx, AdminAuth admin, EndpointSync sync, Promotion promotion, Breakers breakers) {
        this.vertx = vertx;
        this.admin = admin;
        this.sync = sync;
        this.promotion = promotion;
        this.breakers = breakers;
    }

    void mount(Router r) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(EndpointsLoader.MAX_BYTES);
        BodyHandler small = BodyHandler.create(false).setBodyLimit(16 * 1024);
        r.get(BASE)
                .handler(ctx -> handle(ctx, () -> Future.succeededFuture(list(sync.table()))))
                .failureHandler(this::failure);
        r.put(BASE)
                .handler(body)
                .handler(ctx -> handle(ctx, () -> replaceAll(ctx)))
                .failureHandler(this::failure);
        r.get(BASE + "/:name")
                .handler(ctx -> handle(ctx, () -> Future.succeededFuture(one(sync.table(), name(ctx), 200))))
                .failureHandler(this::failure);
        r.put(BASE + "/:name")
                .handler(body)
                .handler(ctx -> handle(ctx, () -> put(ctx)))
                .failureHandler(this::failure);
        r.delete(BASE + "/:name").handler(ctx -> handle(ctx, () -> delete(ctx))).failureHandler(this::failure);
        r.post(BASE + "/:name/switch")
                .handler(small)
                .handler(ctx -> handle(ctx, () -> switchTo(ctx)))
                .failureHandler(this::failure);
        r.post(BASE + "/:name/rollback")
                .handler(small)
                .handler(ctx -> handle(ctx, () -> rollback(ctx)))
                .failureHandler(this::failure);
    }

    private Future<Reply> replaceAll(RoutingContext ctx) {
        OptionalLong ifMatch = ifMatch(ctx);
        String text = body(ctx, "endpoints (YAML or JSON, as the --endpoints file)");
        return vertx.executeBlocking(() -> EndpointsLoader.parse(text), false)
                .compose(specs -> sync.change(
                        ifMatch,
                        (doc, version) -> admitAll(specs).map(admitted -> doc.replaceAll(admitted, version)),
                        "api: PUT " + BASE))
                .map(this::list);
    }

    private Future<List<EndpointSpec>> admitAll(List<EndpointSpec> specs) {
        List<Future<EndpointSpec>> all = new ArrayList<>();
        specs.forEach(s -> all.add(promotion.admit(s)));
        return Future.join(all).transform(ar -> {
            for (Future<EndpointSpec> f : all) {
                if (f.failed()) {
                    return Future.failedFuture(f.cause());
                }
            }
            return Future.succeededFuture(all.stream().map(Future::result).toList());
        });
    }

    private Future<Reply> put(RoutingContext ctx) {
        String name = name(ctx);
        OptionalLong ifMatch = ifMatch(ctx);
        String text = body(ctx, "one endpoint object (JSON or YAML), as an element of the file's 'endpoints' list");
        AtomicBoolean created = new AtomicBoolean();
        return vertx.executeBlocking(
                        () -> {
                            EndpointSpec s = EndpointsLoader.parseOne(text, name);
                            if (!s.name().equals(name)) {
                                throw new InvalidEndpointException("endpoint: name '" + s.name()
                                        + "' in the body differs from '" + name + "' in the path");
                            }
                            return s;
                        },
                        false)
                .compose(spec -> sync.change(
                        ifMatch,
                        (doc, version) -> promotion.admit(spec).map(admitted -> {
                            created.set(doc.entry(name).isEmpty());
                            return doc.put(admitted, version);
                        }),
                        "api: PUT " + BASE + "/" + name))
                .map(t -> one(t, name, created.get() ? 201 : 200));
    }

    private Future<Reply> delete(RoutingContext ctx) {
        String name = name(ctx);
        return sync.change(
                        ifMatch(ctx),
                        (doc, version) -> {
                            if (doc.entry(name).isEmpty()) {
                                return Future.failedFuture(ServingException.notFound("no endpoint '" + name + "'"));
                            }
                            return Future.succeededFuture(doc.remove(name));
                        },
                        "api: DELETE " + BASE + "/" + name)
                .map(t -> new Reply(
                        200, new JsonObject().put("policy_version", t.version()).put("deleted", name), t.version()));
    }

    private Future<Reply> switchTo(RoutingContext ctx) {
        String name = name(ctx);
        JsonObject body = jsonBody(ctx);
        String active = body.getValue("active") instanceof String s ? s : null;
        if (!"blue".equals(active) && !"green".equals(active)) {
            throw ServingException.invalid("body must be {\"active\": \"blue\"} or {\"active\": \"green\"}");
        }
        return sync.change(
                        ifMatch(ctx),
                        (doc, version) -> {
                            EndpointSpec current = doc.entry(name)
                                    .orElseThrow(() -> ServingException.notFound("no endpoint '" + name + "'"))
                                    .spec();
                            if (current.policy().type() != EndpointSpec.PolicyType.BLUE_GREEN) {
                                throw new ServingException(
                                        ServingException.Code.FAILED_PRECONDITION,
                                        "endpoint '" + name + "' has a "
                                                + current.policy().type().label()
                                                + " policy; only blue_green switches");
                            }
                            if (current.policy().active().equals(active)) {
                                throw new AlreadyThere();
                            }
                            return promotion
                                    .admit(current.withPolicy(current.policy().withActive(active)))
                                    .map(s -> doc.put(s, version));
                        },
                        "api: switch " + name + " to " + active)
                .map(t -> one(t, name, 200))
                .recover(t -> t instanceof AlreadyThere
                        ? Future.succeededFuture(one(sync.table(), name, 200))
                        : Future.failedFuture(t));
    }

    private Future<Reply> rollback(RoutingContext ctx) {
        String name = name(ctx);
        return sync.change(
                        ifMatch(ctx),
                        (doc, version) -> {
                            EndpointDocument.Entry e = doc.entry(name)
                                    .orElseThrow(() -> ServingException.notFound("no endpoint '" + name + "'"));
                            if (e.previous() == null) {
                                throw new ServingException(
                                        ServingException.Code.FAILED_PRECONDITION,
                                        "endpoint '" + name + "' has no previous definition to roll back to");
                            }
                            return promotion.admit(e.previous()).map(s -> doc.rollback(name, version));
                        },
                        "api: rollback " + name)
                .map(t -> one(t, name, 200));
    }

    /** The blue-green target asked for is already active: nothing to write. */
    private static final class AlreadyThere extends RuntimeException {
        private static final long serialVersionUID = 1L;

        AlreadyThere() {
            super(null, null, false, false);
        }
    }

    // ---------------------------------------------------------------- views

    private Reply list(EndpointTable t) {
        JsonArray a = new JsonArray();
        t.list().forEach(e -> a.add(view(e)));
        return new Reply(
                200,
                new JsonObject()
                        .put("policy_version", t.version())
                        .put("source", source(t))
                        .put("endpoints", a),
                t.version());
    }

    private Reply one(EndpointTable t, String name, int status) {
        EndpointDocument.Entry e = t.find(name)
                .orElseThrow(
                        () -> ServingException.notFound("no endpoint '" + name + "' in policy version " + t.version()));
        JsonObject breakerStates = new JsonObject();
        e.spec()
                .allTargets()
                .forEach(r -> breakerStates.put(
                        r.toString(), breakers.state(r, e.spec().breaker())));
        return new Reply(
                status,
                new JsonObject()
                        .put("policy_version", t.version())
                        .put("source", source(t))
                        .put("endpoint", view(e))
                        .put("circuit_breakers", breakerStates),
                t.version());
    }

    private static JsonObject view(EndpointDocument.Entry e) {
        JsonObject o = EndpointsJson.write(e.spec()).put("since", e.since());
        if (e.previous() != null) {
            o.put("rollback_to_since", e.previousSince());
        }
        return o;
    }

    private static String source(EndpointTable t) {
        return t.version() == 0 ? "none" : t.note().startsWith(EndpointSync.FILE_NOTE) ? "file" : "api";
    }

    // ---------------------------------------------------------------- plumbing

    private static String name(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        try {
            return ModelNames.validate(name);
        } catch (IllegalArgumentException e) {
            throw ServingException.invalid("endpoint name: " + e.getMessage());
        }
    }

    private static String body(RoutingContext ctx, String what) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw ServingException.invalid("request body is empty; send " + what);
        }
        return text;
    }

    private static JsonObject jsonBody(RoutingContext ctx) {
        try {
            JsonObject o = ctx.body() == null || ctx.body().length() == 0
                    ? null
                    : ctx.body().asJsonObject();
            return o == null ? new JsonObject() : o;
        } catch (RuntimeException e) {
            throw ServingException.invalid("request body must be a JSON object");
        }
    }

    private static OptionalLong ifMatch(RoutingContext ctx) {
        return AdminRoutes.ifMatch(ctx.request().getHeader("if-match"));
    }

    private record Reply(int status, JsonObject body, long version) {}

    private void handle(RoutingContext ctx, Supplier<Future<Reply>> work) {
        AdminRoutes.handle(
                ctx,
                admin,
                work,
                (c, r) -> AdminRoutes.versioned(c, r.status(), r.body(), r.version()),
                EndpointsAdmin::fail);
    }

    private void failure(RoutingContext ctx) {
        AdminRoutes.failure(ctx, EndpointsLoader.MAX_BYTES, EndpointsAdmin::fail);
    }

    private static void fail(RoutingContext ctx, Throwable t) {
        Throwable c = ServingException.unwrap(t);
        if (c instanceof InvalidEndpointException) {
            AdminRoutes.json(ctx.response(), 400, new JsonObject().put("error", c.getMessage()));
            return;
        }
        if (c instanceof ServingException se && se.code() == ServingException.Code.FAILED_PRECONDITION) {
            AdminRoutes.json(ctx.response(), 409, new JsonObject().put("error", se.getMessage())); // the promotion gate
            return;
        }
        AdminRoutes.fail(ctx, c);
    }
}
