package dev.modelmux.node.endpoints;

import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.security.AdminAuth;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

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
    private final AdminHttp http;
    private final EndpointSync sync;
    private final Promotion promotion;
    private final Breakers breakers;

    EndpointsAdmin(Vertx vertx, AdminAuth admin, EndpointSync sync, Promotion promotion, Breakers breakers) {
        this.vertx = vertx;
        this.http = admin.http();
        this.sync = sync;
        this.promotion = promotion;
        this.breakers = breakers;
    }

    void mount(Router r) {
        long max = EndpointsLoader.MAX_BYTES;
        long small = AdminHttp.SMALL_BODY_BYTES;
        handle(r.get(BASE), 0, ctx -> Future.succeededFuture(list(sync.table())));
        handle(r.put(BASE), max, this::replaceAll);
        handle(r.get(BASE + "/:name"), 0, ctx -> Future.succeededFuture(one(sync.table(), name(ctx), 200)));
        handle(r.put(BASE + "/:name"), max, this::put);
        handle(r.delete(BASE + "/:name"), 0, this::delete);
        handle(r.post(BASE + "/:name/switch"), small, this::switchTo);
        handle(r.post(BASE + "/:name/rollback"), small, this::rollback);
    }

    private Future<AdminReply> replaceAll(RoutingContext ctx) {
        OptionalLong ifMatch = ifMatch(ctx);
        String text = AdminHttp.text(ctx, "endpoints (YAML or JSON, as the --endpoints file)");
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

    private Future<AdminReply> put(RoutingContext ctx) {
        String name = name(ctx);
        OptionalLong ifMatch = ifMatch(ctx);
        String text =
                AdminHttp.text(ctx, "one endpoint object (JSON or YAML), as an element of the file's 'endpoints' list");
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

    private Future<AdminReply> delete(RoutingContext ctx) {
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
                .map(t -> AdminReply.versioned(
                        200, new JsonObject().put("policy_version", t.version()).put("deleted", name), t.version()));
    }

    private Future<AdminReply> switchTo(RoutingContext ctx) {
        String name = name(ctx);
        JsonObject body = AdminHttp.jsonObject(ctx);
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

    private Future<AdminReply> rollback(RoutingContext ctx) {
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

    private AdminReply list(EndpointTable t) {
        JsonArray a = new JsonArray();
        t.list().forEach(e -> a.add(view(e)));
        return AdminReply.versioned(
                200,
                new JsonObject()
                        .put("policy_version", t.version())
                        .put("source", source(t))
                        .put("endpoints", a),
                t.version());
    }

    private AdminReply one(EndpointTable t, String name, int status) {
        EndpointDocument.Entry e = t.find(name)
                .orElseThrow(
                        () -> ServingException.notFound("no endpoint '" + name + "' in policy version " + t.version()));
        JsonObject breakerStates = new JsonObject();
        e.spec()
                .allTargets()
                .forEach(r -> breakerStates.put(
                        r.toString(), breakers.state(r, e.spec().breaker())));
        return AdminReply.versioned(
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

    private static OptionalLong ifMatch(RoutingContext ctx) {
        return AdminHttp.ifMatch(ctx.request().getHeader("if-match"));
    }

    /**
     * Guards the route and answers through the admin mapper: an endpoint the loader refuses is a 400
     * naming the field, a refusal of the promotion gate (FAILED_PRECONDITION) a 409 with the reason.
     */
    private void handle(Route route, long maxBodyBytes, Function<RoutingContext, Future<AdminReply>> work) {
        http.handle(route, maxBodyBytes, ctx -> {
            Future<AdminReply> f;
            try {
                f = work.apply(ctx);
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            return f.recover(t -> Future.failedFuture(
                    ServingException.unwrap(t) instanceof InvalidEndpointException e
                            ? ServingException.invalid(e.getMessage())
                            : t));
        });
    }
}
