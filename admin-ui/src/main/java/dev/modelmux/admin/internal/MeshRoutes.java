package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.admin.MeshActions;
import dev.modelmux.admin.MeshReadModel;
import dev.modelmux.admin.ModelFigures;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/** The mesh's routes: the cluster, the models, the operators' actions, the timeline. */
final class MeshRoutes {
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final int DEFAULT_EVENTS = 200;

    private final AdminHttp http;
    private final MeshReadModel mesh;
    private final MeshActions actions;
    private final LongSupplier clockMillis;

    MeshRoutes(AdminHttp http, MeshReadModel mesh, MeshActions actions, LongSupplier clockMillis) {
        this.http = http;
        this.mesh = mesh;
        this.actions = actions;
        this.clockMillis = clockMillis;
    }

    void mount(Router r) {
        long small = AdminHttp.SMALL_BODY_BYTES;
        http.handle(r.get("/api/v1/cluster"), 0, ctx -> mesh.mesh().map(v -> AdminReply.ok(MeshJson.cluster(v))));
        http.handle(r.get("/api/v1/models"), 0, ctx -> models());
        http.handle(r.post("/api/v1/models/:model/load"), small, this::load);
        http.handle(r.post("/api/v1/models/:model/unload"), small, this::unload);
        http.handle(r.post("/api/v1/models/:model/pin"), small, ctx -> pin(ctx, true));
        http.handle(r.post("/api/v1/models/:model/unpin"), small, ctx -> pin(ctx, false));
        http.handle(r.post("/api/v1/nodes/:node/drain"), small, ctx -> drain(ctx, true));
        http.handle(r.post("/api/v1/nodes/:node/undrain"), small, ctx -> drain(ctx, false));
        http.handle(r.get("/api/v1/events"), 0, this::events);
    }

    private Future<AdminReply> models() {
        return mesh.models().map(list -> {
            JsonArray rows = new JsonArray();
            for (ModelFigures m : list) {
                rows.add(MeshJson.model(m));
            }
            return AdminReply.ok(new JsonObject()
                    .put("node", mesh.nodeId())
                    .put("generated_at_ms", clockMillis.getAsLong())
                    .put("models", rows));
        });
    }

    private Future<AdminReply> load(RoutingContext ctx) {
        String model = ctx.pathParam("model");
        JsonObject body = AdminHttp.jsonObject(ctx);
        Optional<String> version = Optional.ofNullable(body.getValue("version")).map(Object::toString);
        return actions.load(model, version, node(body))
                .map(c -> AdminReply.ok(new JsonObject()
                        .put("model", model)
                        .put("version", Long.toString(c.version()))
                        .put("node", c.node())));
    }

    private Future<AdminReply> unload(RoutingContext ctx) {
        String model = ctx.pathParam("model");
        JsonObject body = AdminHttp.jsonObject(ctx);
        return actions.unload(model, node(body)).map(copies -> {
            JsonArray done = new JsonArray();
            copies.forEach(
                    c -> done.add(new JsonObject().put("node", c.node()).put("version", Long.toString(c.version()))));
            return AdminReply.ok(new JsonObject().put("model", model).put("unloaded", done));
        });
    }

    private static Optional<String> node(JsonObject body) {
        return body.getValue("node") instanceof String s ? Optional.of(s) : Optional.empty();
    }

    private Future<AdminReply> pin(RoutingContext ctx, boolean pin) {
        String model = ctx.pathParam("model");
        return actions.pin(model, pin)
                .map(p -> AdminReply.ok(new JsonObject()
                        .put("model", model)
                        .put("pinned", p.pinned())
                        .put("changed", p.changed())));
    }

    private Future<AdminReply> drain(RoutingContext ctx, boolean drain) {
        String node = ctx.pathParam("node");
        if (node == null || !NODE_ID.matcher(node).matches()) {
            throw AdminFailure.badRequest("node id must be 1-64 letters, digits, '.', '_' or '-'");
        }
        return actions.drain(node, drain)
                .map(changed -> AdminReply.ok(new JsonObject()
                        .put("node", node)
                        .put("draining", drain)
                        .put("changed", changed)));
    }

    private Future<AdminReply> events(RoutingContext ctx) {
        long after = longParam(ctx, "after", Long.MIN_VALUE);
        int limit = (int) Math.max(1, Math.min(mesh.eventsKept(), longParam(ctx, "limit", DEFAULT_EVENTS)));
        JsonArray out = new JsonArray();
        mesh.events(after, limit).forEach(e -> out.add(MeshJson.event(e)));
        return Future.succeededFuture(
                AdminReply.ok(new JsonObject().put("events", out).put("last_seq", mesh.lastEventSeq())));
    }

    private static long longParam(RoutingContext ctx, String name, long dflt) {
        String v = ctx.request().getParam(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw AdminFailure.badRequest("query parameter '" + name + "' must be an integer");
        }
    }
}
