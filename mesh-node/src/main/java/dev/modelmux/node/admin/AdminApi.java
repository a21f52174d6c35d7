package dev.modelmux.node.admin;

import dev.modelmux.admin.AdminUi;
import dev.modelmux.admin.Timeline;
import dev.modelmux.cluster.CatalogEntry;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.MeshEvent;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.cluster.NodeRecord;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.catalog.ModelRecord;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.mesh.MeshController;
import dev.modelmux.node.mesh.Operators;
import dev.modelmux.node.metrics.ModelStats;
import dev.modelmux.node.protocol.ApiContext;
import dev.modelmux.placement.DevicePicker;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.repo.ModelNames;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' JSON API under {@code /api/v1/} (every route needs the admin token) and the web
 * page at {@code /admin} that uses it: models with their copies and figures, actions (load,
 * unload, pin, unpin, drain, undrain; each recorded in the timeline with actor {@code admin}), the
 * event timeline, and a live stream ({@code text/event-stream}) of cluster changes and events.
 * The stream is read with {@code fetch()} so the token travels in the header, never in a URL.
 */
public final class AdminApi {
    private static final Logger LOG = LoggerFactory.getLogger(AdminApi.class);
    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final long PUSH_MS = 500;
    private static final long HEARTBEAT_MS = 15_000;
    private static final long STATS_MS = 2_000;
    private static final int MAX_STREAMS = 64;

    private final Vertx vertx;
    private final ApiContext api;
    private final ClusterLink link;
    private final Operators operators;
    private final Forwarder forwarder;
    private final ModelStats stats;
    private final Set<Stream> streams = new CopyOnWriteArraySet<>();
    private final DevicePicker picker = DevicePicker.defaults();
    private long pushTimer = -1;
    private long statsTimer = -1;
    private Runnable stopListening = () -> {};
    private String lastClusterJson = "";
    private boolean pushing;

    public AdminApi(Vertx vertx, ApiContext api, Operators operators, Forwarder forwarder, ModelStats stats) {
        this.vertx = vertx;
        this.api = api;
        this.link = api.cluster();
        this.operators = operators;
        this.forwarder = forwarder;
        this.stats = stats;
    }

    /** Mounts the page and the routes on {@code r}; returns {@code r}. */
    public Router mount(Router r) {
        AdminUi.mount(r);
        BodyHandler small = BodyHandler.create(false).setBodyLimit(16 * 1024);
        r.get("/api/v1/models")
                .handler(ctx -> handle(ctx, () -> {
                    admin(ctx);
                    return models();
                }));
        r.post("/api/v1/models/:model/load").handler(small).handler(ctx -> handle(ctx, () -> load(ctx)));
        r.post("/api/v1/models/:model/unload").handler(small).handler(ctx -> handle(ctx, () -> unload(ctx)));
        r.post("/api/v1/models/:model/pin").handler(small).handler(ctx -> handle(ctx, () -> pin(ctx, true)));
        r.post("/api/v1/models/:model/unpin").handler(small).handler(ctx -> handle(ctx, () -> pin(ctx, false)));
        r.post("/api/v1/nodes/:node/drain").handler(small).handler(ctx -> handle(ctx, () -> drain(ctx, true)));
        r.post("/api/v1/nodes/:node/undrain").handler(small).handler(ctx -> handle(ctx, () -> drain(ctx, false)));
        r.get("/api/v1/events").handler(ctx -> handle(ctx, () -> events(ctx)));
        r.get("/api/v1/stream").handler(this::stream);
        stopListening = operators
                .timeline()
                .listen(e -> vertx.runOnContext(v -> {
                    String frame = frame("timeline", event(e));
                    streams.forEach(s -> s.send(frame));
                }));
        pushTimer = vertx.setPeriodic(PUSH_MS, id -> pushCluster());
        statsTimer = vertx.setPeriodic(
                0,
                STATS_MS,
                id -> vertx.executeBlocking(
                        () -> {
                            stats.sample();
                            return null;
                        },
                        false));
        return r;
    }

    public void stop() {
        stopListening.run();
        if (pushTimer >= 0) {
            vertx.cancelTimer(pushTimer);
        }
        if (statsTimer >= 0) {
            vertx.cancelTimer(statsTimer);
        }
        streams.forEach(Stream::close);
    }

    // ---------------------------------------------------------------- models

    private Future<JsonObject> models() {
        Map<ModelKey, List<Copy>> table = link.table();
        Map<String, List<Map.Entry<ModelKey, List<Copy>>>> byModel = new HashMap<>();
        table.entrySet()
                .forEach(e -> byModel.computeIfAbsent(e.getKey().model(), k -> new ArrayList<>())
                        .add(e));
        Map<String, List<ModelManager.IndexEntry>> index = new HashMap<>();
        for (ModelManager.IndexEntry e : api.models().index(false)) {
            index.computeIfAbsent(e.name(), k -> new ArrayList<>()).add(e);
        }
        Map<String, MeshEvent[]> history = history(operators.timeline());
        return Future.fromCompletionStage(link.cluster().catalog().all(), vertx.getOrCreateContext())
                .map(catalog -> {
                    JsonArray rows = new JsonArray();
                    TreeSet<String> names = new TreeSet<>(api.models().modelNames());
                    names.addAll(byModel.keySet());
                    for (String name : names) {
                        rows.add(row(
                                name,
                                index.getOrDefault(name, List.of()),
                                byModel.getOrDefault(name, List.of()),
                                catalog,
                                history.get(name)));
                    }
                    return new JsonObject()
                            .put("node", link.nodeId())
                            .put("generated_at_ms", System.currentTimeMillis())
                            .put("models", rows);
                });
    }

    private JsonObject row(
            String name,
            List<ModelManager.IndexEntry> versions,
            List<Map.Entry<ModelKey, List<Copy>>> copies,
            Map<ModelKey, CatalogEntry> catalog,
            MeshEvent[] history) {
        JsonArray vs = new JsonArray();
        String repoState = "";
        String repoReason = "";
        for (ModelManager.IndexEntry e : versions) {
            if (!e.version().isEmpty()) {
                vs.add(e.version());
            }
            repoState = e.state();
            repoReason = e.reason();
        }
        JsonArray where = new JsonArray();
        int ready = 0;
        Set<String> states = new HashSet<>();
        String copyError = "";
        long predicted = -1;
        long measured = -1;
        double rate = 0;
        long loadedAt = 0;
        for (Map.Entry<ModelKey, List<Copy>> e : copies) {
            CatalogEntry c = catalog.get(e.getKey());
            if (c != null) {
                predicted = Math.max(predicted, c.predictedBytes());
                measured = Math.max(measured, c.measuredBytes());
            }
            for (Copy copy : e.getValue()) {
                states.add(copy.state().name());
                where.add(new JsonObject()
                        .put("node", copy.nodeId())
                        .put("device", copy.deviceId())
                        .put("version", e.getKey().version())
                        .put("state", copy.state().name())
                        .put("bytes", copy.bytes()));
                if (copy.state() == Copy.State.READY) {
                    ready++;
                    rate += copy.requestRate();
                    loadedAt = Math.max(loadedAt, copy.stateSinceMillis());
                }
                if (copy.state() == Copy.State.FAILED && !copy.reason().isEmpty()) {
                    copyError = copy.reason();
                }
            }
        }
        for (Map.Entry<ModelKey, CatalogEntry> e : catalog.entrySet()) {
            if (copies.isEmpty() && e.getKey().model().equals(name)) {
                predicted = Math.max(predicted, e.getValue().predictedBytes());
                measured = Math.max(measured, e.getValue().measuredBytes());
            }
        }
        String state = states.contains("READY")
                ? "READY"
                : states.contains("LOADING")
                        ? "LOADING"
                        : states.contains("UNLOADING") ? "UNLOADING" : states.contains("FAILED") ? "FAILED" : null;
        boolean configPinned = api.models().configPinned(name);
        boolean adminPinned = operators.pinned(name);
        JsonObject o = new JsonObject()
                .put("name", name)
                .put("versions", vs)
                .put("copies", where)
                .put("ready_copies", ready)
                .put("rps", rate)
                .put("pinned", configPinned || adminPinned)
                .put("repo_state", repoState);
        if (state != null) {
            o.put("state", state);
        }
        if (configPinned || adminPinned) {
            o.put("pinned_by", configPinned ? "config" : "admin");
        }
        if (predicted >= 0) {
            o.put("predicted_bytes", predicted);
        }
        if (measured >= 0) {
            o.put("measured_bytes", measured);
        }
        stats.of(name).ifPresent(f -> {
            f.p50Ms().ifPresent(v -> o.put("p50_ms", v));
            f.p99Ms().ifPresent(v -> o.put("p99_ms", v));
            o.put("rps_here", f.rate());
        });
        MeshEvent lastLoad = history == null ? null : history[0];
        MeshEvent lastError = history == null ? null : history[1];
        if (lastLoad != null) {
            o.put("last_load_ms", lastLoad.millis()).put("last_loaded_at_ms", lastLoad.atMillis());
        } else if (loadedAt > 0) {
            o.put("last_loaded_at_ms", loadedAt);
        }
        String error = lastError != null
                ? lastError.detail()
                : !copyError.isEmpty()
                        ? copyError
                        : "UNAVAILABLE".equals(repoState)
                                        && !repoReason.startsWith("unloaded")
                                        && !repoReason.startsWith("not selected")
                                ? repoReason
                                : "";
        if (!error.isEmpty()) {
            o.put("last_error", error);
            if (lastError != null) {
                o.put("last_error_at_ms", lastError.atMillis());
            }
        }
        return o;
    }

    /** Per model, the newest LOADED and LOAD_FAILED events the mirror still holds. */
    private static Map<String, MeshEvent[]> history(Timeline<MeshEvent> timeline) {
        Map<String, MeshEvent[]> out = new HashMap<>();
        for (Timeline.Entry<MeshEvent> e : timeline.recent(timeline.capacity())) {
            MeshEvent ev = e.event();
            if (ev.kind() == MeshEvent.Kind.LOADED || ev.kind() == MeshEvent.Kind.LOAD_FAILED) {
                out.computeIfAbsent(ev.model(), k -> new MeshEvent[2])[ev.kind() == MeshEvent.Kind.LOADED ? 0 : 1] = ev;
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- actions

    private Future<JsonObject> load(RoutingContext ctx) {
        String name = model(ctx);
        JsonObject body = body(ctx);
        ModelRecord r = api.models().record(name);
        long version = optionalVersion(body)
                .orElseGet(() -> r.top()
                        .orElseThrow(
                                () -> ServingException.unavailable("model '" + name + "' has no version to serve")));
        String node = body.getValue("node") instanceof String s ? s : null;
        String target;
        if (node != null) {
            NodeRecord n = link.node(node)
                    .orElseThrow(() -> ServingException.notFound("node '" + safe(node) + "' is not in the mesh"));
            if (n.draining()) {
                throw new ServingException(
                        ServingException.Code.FAILED_PRECONDITION,
                        "node '" + node + "' is draining; it takes no new copies");
            }
            target = node;
        } else {
            long predicted = api.models().predictedBytes(name, version);
            dev.modelmux.placement.ModelKey key = new dev.modelmux.placement.ModelKey(name, version);
            ModelSpec spec = new ModelSpec(key, predicted, OptionalLong.empty(), 0, false, 0, 0);
            target = picker.plan(
                            MeshController.view(link.nodes(), link.table()), spec, Map.of(key, spec), System.nanoTime())
                    .map(p -> p.target().nodeId())
                    .orElseThrow(() -> new ServingException(
                            ServingException.Code.RESOURCE_EXHAUSTED,
                            "no node that is not draining has room for model '" + name + "', even by evicting"));
        }
        operators.record(MeshEvent.model(
                System.currentTimeMillis(),
                MeshEvent.Kind.LOAD_REQUESTED,
                target,
                "",
                name,
                version,
                0,
                0,
                MeshEvent.ACTOR_ADMIN,
                ""));
        return place(target, name, version, true)
                .map(v -> new JsonObject()
                        .put("model", name)
                        .put("version", Long.toString(version))
                        .put("node", target));
    }

    private Future<JsonObject> unload(RoutingContext ctx) {
        String name = model(ctx);
        JsonObject body = body(ctx);
        api.models().record(name);
        String node = body.getValue("node") instanceof String s ? s : null;
        if (api.models().configPinned(name) || operators.pinned(name)) {
            throw new ServingException(
                    ServingException.Code.FAILED_PRECONDITION,
                    "model '" + name + "' is pinned"
                            + (api.models().configPinned(name) ? " by its config.pbtxt" : "; unpin it first")
                            + " (it would be placed again)");
        }
        List<String[]> targets = new ArrayList<>();
        link.table().forEach((k, copies) -> {
            if (k.model().equals(name)) {
                for (Copy c : copies) {
                    if ((c.state() == Copy.State.READY || c.state() == Copy.State.LOADING)
                            && (node == null || node.equals(c.nodeId()))
                            && targets.stream()
                                    .noneMatch(
                                            t -> t[0].equals(c.nodeId()) && t[1].equals(Long.toString(k.version())))) {
                        targets.add(new String[] {c.nodeId(), Long.toString(k.version())});
                    }
                }
            }
        });
        operators.record(MeshEvent.model(
                System.currentTimeMillis(),
                MeshEvent.Kind.UNLOAD_REQUESTED,
                node == null ? "" : node,
                "",
                name,
                0,
                0,
                0,
                MeshEvent.ACTOR_ADMIN,
                node == null ? "everywhere" : "on " + node));
        List<Future<Void>> all = new ArrayList<>();
        JsonArray done = new JsonArray();
        for (String[] t : targets) {
            all.add(place(t[0], name, Long.parseLong(t[1]), false));
            done.add(new JsonObject().put("node", t[0]).put("version", t[1]));
        }
        if (node == null || node.equals(link.nodeId())) {
            all.add(api.models()
                    .unloadModel(name)
                    .recover(e -> Future.succeededFuture())); // anything the table has not seen yet
        }
        return Future.all(all).map(v -> new JsonObject().put("model", name).put("unloaded", done));
    }

    private Future<Void> place(String node, String name, long version, boolean load) {
        if (node.equals(link.nodeId())) {
            return load ? api.models().loadVersion(name, version) : api.models().unloadVersion(name, version);
        }
        return link.node(node)
                .map(n -> forwarder.place(n, name, version, load))
                .orElseGet(() ->
                        Future.failedFuture(ServingException.notFound("node '" + safe(node) + "' is not in the mesh")));
    }

    private Future<JsonObject> pin(RoutingContext ctx, boolean pin) {
        String name = model(ctx);
        api.models().record(name);
        return operators
                .setPinned(name, pin)
                .map(changed -> new JsonObject()
                        .put("model", name)
                        .put("pinned", pin || api.models().configPinned(name))
                        .put("changed", changed));
    }

    private Future<JsonObject> drain(RoutingContext ctx, boolean drain) {
        admin(ctx);
        String node = ctx.pathParam("node");
        if (node == null || !NODE_ID.matcher(node).matches()) {
            throw ServingException.invalid("node id must be 1-64 letters, digits, '.', '_' or '-'");
        }
        if (drain && link.node(node).isEmpty()) {
            throw ServingException.notFound("node '" + node + "' is not in the mesh");
        }
        return operators
                .setDraining(node, drain)
                .map(changed -> new JsonObject()
                        .put("node", node)
                        .put("draining", drain)
                        .put("changed", changed));
    }

    // ---------------------------------------------------------------- events and stream

    private Future<JsonObject> events(RoutingContext ctx) {
        admin(ctx);
        long after = longParam(ctx, "after", Long.MIN_VALUE);
        int limit = (int) Math.max(1, Math.min(Operators.MIRROR, longParam(ctx, "limit", 200)));
        JsonArray out = new JsonArray();
        operators.timeline().since(after, limit).forEach(e -> out.add(event(e)));
        return Future.succeededFuture(new JsonObject()
                .put("events", out)
                .put("last_seq", operators.timeline().lastSeq()));
    }

    private static JsonObject event(Timeline.Entry<MeshEvent> e) {
        MeshEvent ev = e.event();
        JsonObject o = new JsonObject()
                .put("seq", e.seq())
                .put("at_ms", ev.atMillis())
                .put("kind", ev.kind().name())
                .put("node", ev.nodeId())
                .put("actor", ev.actor());
        if (!ev.deviceId().isEmpty()) {
            o.put("device", ev.deviceId());
        }
        if (!ev.model().isEmpty()) {
            o.put("model", ev.model());
            if (ev.version() > 0) {
                o.put("version", Long.toString(ev.version()));
            }
        }
        if (ev.bytes() > 0) {
            o.put("bytes", ev.bytes());
        }
        if (ev.millis() > 0) {
            o.put("millis", ev.millis());
        }
        if (!ev.detail().isEmpty()) {
            o.put("detail", ev.detail());
        }
        return o;
    }

    private void stream(RoutingContext ctx) {
        try {
            admin(ctx);
        } catch (ServingException e) {
            ctx.response()
                    .putHeader("www-authenticate", "Bearer")
                    .setStatusCode(401)
                    .putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", e.getMessage()).encode());
            return;
        }
        if (streams.size() >= MAX_STREAMS) {
            ctx.response()
                    .setStatusCode(429)
                    .putHeader("content-type", "application/json")
                    .end(new JsonObject()
                            .put("error", "too many admin streams open on this node")
                            .encode());
            return;
        }
        HttpServerResponse res = ctx.response()
                .setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-store")
                .putHeader("content-encoding", "identity")
                .putHeader("x-accel-buffering", "no");
        Stream s = new Stream(res);
        streams.add(s);
        res.closeHandler(v -> s.close());
        res.exceptionHandler(t -> s.close());
        s.send(frame("hello", new JsonObject().put("node", link.nodeId())));
        link.view().onSuccess(view -> s.send(frame("cluster", view)));
    }

    private void pushCluster() {
        if (streams.isEmpty() || pushing) {
            return;
        }
        pushing = true;
        link.view().onComplete(ar -> {
            pushing = false;
            if (ar.succeeded()) {
                String json = ar.result().encode();
                if (!json.equals(lastClusterJson)) {
                    lastClusterJson = json;
                    String frame = "event: cluster\ndata: " + json + "\n\n";
                    streams.forEach(s -> s.send(frame));
                }
            }
        });
        long now = System.currentTimeMillis();
        streams.forEach(s -> s.heartbeat(now));
    }

    private static String frame(String event, JsonObject data) {
        return "event: " + event + "\ndata: " + data.encode() + "\n\n";
    }

    /** One open stream; writes are dropped while the client is slow (it refetches what it missed). */
    private final class Stream {
        private final HttpServerResponse res;
        private long lastWrite = System.currentTimeMillis();
        private boolean closed;

        Stream(HttpServerResponse res) {
            this.res = res;
        }

        void send(String frame) {
            if (closed || res.closed()) {
                close();
                return;
            }
            if (res.writeQueueFull()) {
                return;
            }
            lastWrite = System.currentTimeMillis();
            res.write(frame);
        }

        void heartbeat(long now) {
            if (now - lastWrite >= HEARTBEAT_MS) {
                send(": keep-alive\n\n");
            }
        }

        void close() {
            if (!closed) {
                closed = true;
                streams.remove(this);
                if (!res.ended() && !res.closed()) {
                    res.end();
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private void admin(RoutingContext ctx) {
        api.admin().check(ctx.request().getHeader("authorization"));
    }

    private String model(RoutingContext ctx) {
        admin(ctx);
        String name = ctx.pathParam("model");
        ModelNames.validate(name);
        return name;
    }

    private static JsonObject body(RoutingContext ctx) {
        if (ctx.body() == null || ctx.body().length() == 0) {
            return new JsonObject();
        }
        try {
            JsonObject o = ctx.body().asJsonObject();
            return o == null ? new JsonObject() : o;
        } catch (RuntimeException e) {
            throw ServingException.invalid("request body must be a JSON object");
        }
    }

    private static Optional<Long> optionalVersion(JsonObject body) {
        Object v = body.getValue("version");
        if (v == null) {
            return Optional.empty();
        }
        Optional<Long> parsed = ModelManager.parseVersion(v.toString());
        return parsed;
    }

    private static long longParam(RoutingContext ctx, String name, long dflt) {
        String v = ctx.request().getParam(name);
        if (v == null || v.isEmpty()) {
            return dflt;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw ServingException.invalid("query parameter '" + name + "' must be an integer");
        }
    }

    private static String safe(String s) {
        return ModelNames.printable(s);
    }

    private static void handle(RoutingContext ctx, Supplier<Future<JsonObject>> work) {
        Future<JsonObject> f;
        try {
            f = work.get();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            if (ctx.response().ended()) {
                return;
            }
            if (ar.succeeded()) {
                ctx.response()
                        .setStatusCode(200)
                        .putHeader("content-type", "application/json")
                        .putHeader("cache-control", "no-store")
                        .end(ar.result().encode());
                return;
            }
            ServingException se = ServingException.of(ar.cause());
            if (se.code() == ServingException.Code.INTERNAL) {
                LOG.error("admin API {} failed", ctx.request().path(), ar.cause());
            }
            if (se.code() == ServingException.Code.UNAUTHENTICATED) {
                ctx.response().putHeader("www-authenticate", "Bearer");
            }
            // A conflict with the mesh's current state (pinned, draining) is a 409 here.
            int status = se.code() == ServingException.Code.FAILED_PRECONDITION
                    ? 409
                    : se.code().http();
            ctx.response()
                    .setStatusCode(status)
                    .putHeader("content-type", "application/json")
                    .end(new JsonObject().put("error", se.getMessage()).encode());
        });
    }
}
