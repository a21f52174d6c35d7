package dev.modelmux.node.admin;

import dev.modelmux.admission.sched.Rejection;
import dev.modelmux.admission.tenant.Admission;
import dev.modelmux.admission.tenant.InvalidPolicyException;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantPolicyLoader;
import dev.modelmux.admission.tenant.TenantStats;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.mesh.TenantPolicySync;
import dev.modelmux.node.metrics.NodeMetrics;
import dev.modelmux.node.security.AdminAuth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The tenants admin API under {@value #BASE}, every route behind the admin token:
 *
 * <ul>
 *   <li>{@code GET /api/v1/tenants}: the policy in force on this node, with this node's usage
 *   <li>{@code PUT /api/v1/tenants}: replace the whole policy (YAML or JSON, the file's schema)
 *   <li>{@code GET|PUT|DELETE /api/v1/tenants/{id}}: one tenant (PUT body: one tenant object)
 * </ul>
 *
 * Writes go to the mesh's shared policy through {@link TenantPolicySync}; {@code If-Match:
 * <policy_version>} makes one conditional (409 with the current version otherwise). Responses
 * carry {@code ETag: "<policy_version>"}. No response carries a key or a key hash: only how many
 * keys a tenant has.
 */
public final class TenantsAdmin {
    static final String BASE = "/api/v1/tenants";

    private final Vertx vertx;
    private final AdminAuth admin;
    private final Admission admission;
    private final TenantPolicySync sync;

    private NodeMetrics metrics;

    /** Adds this node's latency, queue wait and scheduler refusals to each tenant's usage. */
    public TenantsAdmin withMetrics(NodeMetrics metrics) {
        this.metrics = metrics;
        return this;
    }

    public TenantsAdmin(Vertx vertx, AdminAuth admin, Admission admission, TenantPolicySync sync) {
        this.vertx = vertx;
        this.admin = admin;
        this.admission = admission;
        this.sync = sync;
    }

    /** Registers the routes on the REST router. */
    public void mount(Router r) {
        BodyHandler body = BodyHandler.create(false).setBodyLimit(TenantPolicyLoader.MAX_BYTES);
        r.get(BASE)
                .handler(ctx -> handle(ctx, () -> Future.succeededFuture(list(200))))
                .failureHandler(this::failure);
        r.put(BASE)
                .handler(body)
                .handler(ctx -> handle(ctx, () -> replaceAll(ctx)))
                .failureHandler(this::failure);
        r.get(BASE + "/:id")
                .handler(ctx -> handle(ctx, () -> Future.succeededFuture(one(ctx.pathParam("id"), 200))))
                .failureHandler(this::failure);
        r.put(BASE + "/:id")
                .handler(body)
                .handler(ctx -> handle(ctx, () -> put(ctx)))
                .failureHandler(this::failure);
        r.delete(BASE + "/:id").handler(ctx -> handle(ctx, () -> delete(ctx))).failureHandler(this::failure);
    }

    private Future<Reply> replaceAll(RoutingContext ctx) {
        OptionalLong ifMatch = ifMatch(ctx.request().getHeader("if-match"));
        String text = body(ctx, "a tenant policy (YAML or JSON, as the --tenants file)");
        return vertx.executeBlocking(
                        () -> {
                            try {
                                return TenantPolicyLoader.parse(text);
                            } catch (InvalidPolicyException e) {
                                throw ServingException.invalid(e.getMessage());
                            }
                        },
                        false)
                .compose(p -> sync.change(ifMatch, current -> p.tenants(), "api: PUT " + BASE))
                .map(p -> list(200));
    }

    private Future<Reply> put(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        OptionalLong ifMatch = ifMatch(ctx.request().getHeader("if-match"));
        String text = body(ctx, "one tenant object (JSON or YAML), as an element of the file's 'tenants' list");
        AtomicBoolean created = new AtomicBoolean();
        return vertx.executeBlocking(
                        () -> {
                            Tenant t;
                            try {
                                t = TenantPolicyLoader.parseTenant(text, id);
                            } catch (InvalidPolicyException e) {
                                throw ServingException.invalid(e.getMessage());
                            }
                            if (!t.id().equals(id)) {
                                throw ServingException.invalid("tenant: id '" + t.id() + "' in the body differs from '"
                                        + printable(id) + "' in the path");
                            }
                            return t;
                        },
                        false)
                .compose(t -> sync.change(
                        ifMatch,
                        current -> {
                            List<Tenant> next = new ArrayList<>(readable(current));
                            int at = indexOf(next, id);
                            created.set(at < 0);
                            if (at < 0) {
                                next.add(t);
                            } else {
                                next.set(at, t);
                            }
                            return next;
                        },
                        "api: PUT " + BASE + "/" + id))
                .map(p -> one(id, created.get() ? 201 : 200));
    }

    private Future<Reply> delete(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        OptionalLong ifMatch = ifMatch(ctx.request().getHeader("if-match"));
        if (admission.policy().isOpen() && id.equals(TenantPolicy.DEFAULT_TENANT_ID)) {
            throw new ServingException(
                    ServingException.Code.FAILED_PRECONDITION,
                    "tenant '" + id
                            + "' is the open default of a mesh without a tenant policy; PUT a tenant or a whole policy to replace it");
        }
        return sync.change(
                        ifMatch,
                        current -> {
                            List<Tenant> next = new ArrayList<>(readable(current));
                            int at = indexOf(next, id);
                            if (at < 0) {
                                throw ServingException.notFound(
                                        "no tenant '" + printable(id) + "' in the tenant policy");
                            }
                            next.remove(at);
                            return next;
                        },
                        "api: DELETE " + BASE + "/" + id)
                .map(p -> new Reply(
                        200, new JsonObject().put("policy_version", p.version()).put("deleted", id), p.version()));
    }

    /** The whole policy in force here, with this node's usage. */
    private Reply list(int status) {
        TenantPolicy p = admission.policy();
        int nodes = admission.nodeCount();
        Map<String, TenantStats> stats = admission.snapshot();
        JsonArray tenants = new JsonArray();
        for (Tenant t : p.tenants()) {
            tenants.add(withUsage(view(t, nodes, stats.get(t.id())), t.id()));
        }
        return new Reply(
                status,
                new JsonObject()
                        .put("policy_version", p.version())
                        .put("source", source(p))
                        .put("nodes", nodes)
                        .put("tenants", tenants),
                p.version());
    }

    private Reply one(String id, int status) {
        TenantPolicy p = admission.policy();
        Tenant t = p.tenant(id)
                .orElseThrow(() -> ServingException.notFound(
                        "no tenant '" + printable(id) + "' in tenant policy version " + p.version()));
        int nodes = admission.nodeCount();
        return new Reply(
                status,
                new JsonObject()
                        .put("policy_version", p.version())
                        .put("source", source(p))
                        .put("nodes", nodes)
                        .put(
                                "tenant",
                                withUsage(view(t, nodes, admission.snapshot().get(id)), id)),
                p.version());
    }

    private String source(TenantPolicy p) {
        return p.isOpen()
                ? TenantPolicySync.Source.DEFAULT.label()
                : sync.source().label();
    }

    private JsonObject withUsage(JsonObject view, String id) {
        if (metrics != null) {
            NodeMetrics.TenantUsage u = metrics.tenantUsage(id);
            JsonObject usage = view.getJsonObject("usage");
            putFinite(usage, "p50_ms", u.p50Millis());
            putFinite(usage, "p99_ms", u.p99Millis());
            putFinite(usage, "queue_wait_p99_ms", u.queueWaitP99Millis());
            // Refusals after admission, by the device schedulers: shed, queue_full, deadline_exceeded, timeout.
            JsonObject sched = new JsonObject();
            u.refusedByReason().forEach((reason, n) -> {
                if (Rejection.labels().contains(reason)) {
                    sched.put(reason, n);
                }
            });
            usage.getJsonObject("rejected").mergeIn(sched);
        }
        return view;
    }

    private static void putFinite(JsonObject o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, Math.round(v * 1000) / 1000.0);
        }
    }

    /** One tenant as the API shows it: its settings, how many keys (never the hashes), its share here, its usage. */
    static JsonObject view(Tenant t, int nodes, TenantStats stats) {
        JsonObject rejected = new JsonObject();
        for (TenantStats.Reason r : TenantStats.Reason.values()) {
            rejected.put(
                    r.name().toLowerCase(Locale.ROOT),
                    stats == null ? 0L : stats.rejected().getOrDefault(r, 0L));
        }
        return new JsonObject()
                .put("id", t.id())
                .put("priority", t.priority().name())
                .put("weight", t.weight())
                .put("models", new JsonArray(t.models()))
                .put("rate", t.rate())
                .put("burst", t.burst())
                .put("max_in_flight", t.maxInFlight())
                .put("max_queued", t.maxQueued())
                .put("max_request_bytes", t.maxRequestBytes())
                .put("keys", t.keySha256().size())
                // As RateLimiter.forNode splits a cluster-wide quota.
                .put("rate_per_node", t.rate() / nodes)
                .put("burst_per_node", Math.max(1, t.burst() / nodes))
                .put(
                        "usage",
                        new JsonObject()
                                .put("admitted", stats == null ? 0L : stats.admitted())
                                .put("in_flight", stats == null ? 0 : stats.inFlight())
                                .put("rejected", rejected));
    }

    private static List<Tenant> readable(List<Tenant> current) {
        if (current == null) {
            throw new ServingException(
                    ServingException.Code.FAILED_PRECONDITION,
                    "this node cannot read the mesh's "
                            + "current tenant policy (see its log); replace the whole policy with PUT " + BASE);
        }
        return current;
    }

    private static int indexOf(List<Tenant> tenants, String id) {
        for (int i = 0; i < tenants.size(); i++) {
            if (tenants.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    private static String body(RoutingContext ctx, String what) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw ServingException.invalid("request body is empty; send " + what);
        }
        return text;
    }

    static OptionalLong ifMatch(String header) {
        return AdminRoutes.ifMatch(header);
    }

    private static String printable(String s) {
        String m = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return m.replaceAll("[^\\x20-\\x7e]", "?");
    }

    /** A response: status, body, and the policy version for the ETag. */
    private record Reply(int status, JsonObject body, long version) {}

    private void handle(RoutingContext ctx, Supplier<Future<Reply>> work) {
        AdminRoutes.handle(
                ctx,
                admin,
                work,
                (c, r) -> AdminRoutes.versioned(c, r.status(), r.body(), r.version()),
                AdminRoutes::fail);
    }

    private void failure(RoutingContext ctx) {
        AdminRoutes.failure(ctx, TenantPolicyLoader.MAX_BYTES);
    }
}
