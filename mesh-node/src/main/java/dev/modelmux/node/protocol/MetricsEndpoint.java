package dev.modelmux.node.protocol;

import dev.modelmux.admin.AdminToken;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.security.AdminAuth;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * {@code GET /metrics} in Prometheus' text format, rendered on a worker (a scrape of a node with many
 * models takes long and must not hold up an event loop, nor the liveness probe behind it).
 *
 * <p>Who may scrape: with a metrics token, whoever presents it (or the admin token); without one,
 * anyone on a port of its own ({@code metrics-port}, for the operators' network) and, on the REST port,
 * anyone while no tenants are configured. With tenants and no token, the REST port's {@code /metrics}
 * needs the admin token: its labels name every model and tenant, which callers of the data path must
 * not learn.
 */
public final class MetricsEndpoint {
    private final Vertx vertx;
    private final PrometheusMeterRegistry registry;
    private final Optional<AdminToken> token;
    private final AdminAuth admin;
    private final BooleanSupplier tenantsConfigured;

    public MetricsEndpoint(
            Vertx vertx,
            PrometheusMeterRegistry registry,
            Optional<String> token,
            AdminAuth admin,
            BooleanSupplier tenantsConfigured) {
        this.vertx = vertx;
        this.registry = registry;
        this.token = token.map(AdminToken::of);
        this.admin = admin;
        this.tenantsConfigured = tenantsConfigured;
    }

    /** Serves {@code /metrics} on {@code router}; {@code ownPort}: the router serves nothing else. */
    public Router mount(Router router, boolean ownPort) {
        router.get("/metrics")
                .handler(new CredentialGate(authorization -> check(authorization, ownPort)))
                .handler(this::scrape);
        return router;
    }

    private void check(String authorization, boolean ownPort) {
        if (token.isPresent()) {
            AdminToken.Verdict v = token.get().verify(authorization);
            if (v != AdminToken.Verdict.ACCEPTED && !admin.accepts(authorization)) {
                throw new ServingException(
                        ServingException.Code.UNAUTHENTICATED,
                        v == AdminToken.Verdict.MISSING
                                ? "metrics need the metrics token: send 'authorization: Bearer <metrics token>'"
                                : "the metrics token is not valid");
            }
            return;
        }
        if (!ownPort && tenantsConfigured.getAsBoolean() && !admin.accepts(authorization)) {
            throw new ServingException(
                    ServingException.Code.UNAUTHENTICATED,
                    "with tenants configured, /metrics on this port needs the admin token; give Prometheus a"
                            + " metrics-token, or serve metrics on their own metrics-port");
        }
    }

    private void scrape(RoutingContext ctx) {
        vertx.executeBlocking(registry::scrape, false).onComplete(ar -> {
            if (ar.succeeded()) {
                ctx.response()
                        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8")
                        .end(ar.result());
            } else {
                ctx.response()
                        .setStatusCode(500)
                        .putHeader("content-type", "application/json")
                        .end(new JsonObject()
                                .put("error", "metrics could not be rendered; see the server log")
                                .encode());
            }
        });
    }
}
