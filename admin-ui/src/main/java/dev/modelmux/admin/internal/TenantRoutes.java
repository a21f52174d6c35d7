package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.admin.TenantDirectory;
import dev.modelmux.admission.tenant.InvalidPolicyException;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantPolicyLoader;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The tenants routes under {@value #BASE}: {@code GET|PUT} the whole policy, {@code GET|PUT|DELETE}
 * one tenant. Writes go through {@link TenantDirectory#change}; answers carry {@code ETag:
 * "<policy_version>"}. No answer carries a key or a key hash: only how many keys a tenant has.
 */
final class TenantRoutes {
    static final String BASE = "/api/v1/tenants";

    private final Vertx vertx;
    private final AdminHttp http;
    private final TenantDirectory tenants;

    TenantRoutes(Vertx vertx, AdminHttp http, TenantDirectory tenants) {
        this.vertx = vertx;
        this.http = http;
        this.tenants = tenants;
    }

    void mount(Router r) {
        long max = TenantPolicyLoader.MAX_BYTES;
        http.handle(r.get(BASE), 0, ctx -> Future.succeededFuture(list(200)));
        http.handle(r.put(BASE), max, this::replaceAll);
        http.handle(r.get(BASE + "/:id"), 0, ctx -> Future.succeededFuture(one(ctx.pathParam("id"), 200)));
        http.handle(r.put(BASE + "/:id"), max, this::put);
        http.handle(r.delete(BASE + "/:id"), 0, this::delete);
    }

    private Future<AdminReply> replaceAll(RoutingContext ctx) {
        OptionalLong ifMatch = AdminHttp.ifMatch(ctx.request().getHeader("if-match"));
        String text = AdminHttp.text(ctx, "a tenant policy (YAML or JSON, as the --tenants file)");
        return parse(() -> TenantPolicyLoader.parse(text))
                .compose(p -> tenants.change(ifMatch, current -> p.tenants(), "api: PUT " + BASE))
                .map(p -> list(200));
    }

    private Future<AdminReply> put(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        OptionalLong ifMatch = AdminHttp.ifMatch(ctx.request().getHeader("if-match"));
        String text =
                AdminHttp.text(ctx, "one tenant object (JSON or YAML), as an element of the file's 'tenants' list");
        AtomicBoolean created = new AtomicBoolean();
        return parse(() -> TenantPolicyLoader.parseTenant(text, id))
                .map(t -> {
                    if (!t.id().equals(id)) {
                        throw AdminFailure.badRequest("tenant: id '" + t.id() + "' in the body differs from '"
                                + printable(id) + "' in the path");
                    }
                    return t;
                })
                .compose(t -> tenants.change(
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

    private Future<AdminReply> delete(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        OptionalLong ifMatch = AdminHttp.ifMatch(ctx.request().getHeader("if-match"));
        if (tenants.view().policy().isOpen() && id.equals(TenantPolicy.DEFAULT_TENANT_ID)) {
            throw AdminFailure.badRequest(
                    "tenant '" + id
                            + "' is the open default of a mesh without a tenant policy; PUT a tenant or a whole policy to replace it");
        }
        return tenants.change(
                        ifMatch,
                        current -> {
                            List<Tenant> next = new ArrayList<>(readable(current));
                            int at = indexOf(next, id);
                            if (at < 0) {
                                throw AdminFailure.notFound("no tenant '" + printable(id) + "' in the tenant policy");
                            }
                            next.remove(at);
                            return next;
                        },
                        "api: DELETE " + BASE + "/" + id)
                .map(p -> AdminReply.versioned(
                        200, new JsonObject().put("policy_version", p.version()).put("deleted", id), p.version()));
    }

    /** Parses on a worker (a policy may be up to a MiB of YAML); a bad one is a 400 naming the field. */
    private <T> Future<T> parse(Callable<T> parse) {
        return vertx.executeBlocking(
                () -> {
                    try {
                        return parse.call();
                    } catch (InvalidPolicyException e) {
                        throw AdminFailure.badRequest(e.getMessage());
                    }
                },
                false);
    }

    /** The whole policy in force here, with this node's usage. */
    private AdminReply list(int status) {
        TenantDirectory.TenantsView v = tenants.view();
        JsonArray all = new JsonArray();
        for (Tenant t : v.policy().tenants()) {
            all.add(TenantsJson.tenant(t, v.nodes(), v.stats().get(t.id()), tenants.usage(t.id())));
        }
        return AdminReply.versioned(
                status,
                new JsonObject()
                        .put("policy_version", v.policy().version())
                        .put("source", v.source())
                        .put("nodes", v.nodes())
                        .put("tenants", all),
                v.policy().version());
    }

    private AdminReply one(String id, int status) {
        TenantDirectory.TenantsView v = tenants.view();
        Tenant t = v.policy()
                .tenant(id)
                .orElseThrow(() -> AdminFailure.notFound("no tenant '" + printable(id) + "' in tenant policy version "
                        + v.policy().version()));
        return AdminReply.versioned(
                status,
                new JsonObject()
                        .put("policy_version", v.policy().version())
                        .put("source", v.source())
                        .put("nodes", v.nodes())
                        .put(
                                "tenant",
                                TenantsJson.tenant(t, v.nodes(), v.stats().get(id), tenants.usage(id))),
                v.policy().version());
    }

    private static List<Tenant> readable(List<Tenant> current) {
        if (current == null) {
            throw AdminFailure.badRequest("this node cannot read the mesh's current tenant policy (see its log); "
                    + "replace the whole policy with PUT " + BASE);
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

    private static String printable(String s) {
        String m = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return m.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
