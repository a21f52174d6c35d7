package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.admin.AdminToken;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link AdminHttp}: the token check, the body limit, and the one error mapper. */
public final class GuardedRoutes implements AdminHttp {
    private static final Logger LOG = LoggerFactory.getLogger(GuardedRoutes.class);
    static final String INTERNAL_MESSAGE = "internal error; see the server log";

    private final AdminToken token;
    private final Function<Throwable, Optional<AdminFailure>> translate;

    public GuardedRoutes(AdminToken token, Function<Throwable, Optional<AdminFailure>> translate) {
        this.token = Objects.requireNonNull(token, "token");
        this.translate = Objects.requireNonNull(translate, "translate");
    }

    @Override
    public Route handle(Route route, long maxBodyBytes, Function<RoutingContext, Future<AdminReply>> work) {
        return guard(route, maxBodyBytes).handler(ctx -> {
            Future<AdminReply> f;
            try {
                f = work.apply(ctx);
            } catch (RuntimeException e) {
                f = Future.failedFuture(e);
            }
            f.onComplete(ar -> {
                if (ar.succeeded()) {
                    reply(ctx, ar.result());
                } else {
                    fail(ctx, ar.cause());
                }
            });
        });
    }

    @Override
    public Route guard(Route route, long maxBodyBytes) {
        if (maxBodyBytes < 0) {
            throw new IllegalArgumentException("body limit must be >= 0 bytes, was " + maxBodyBytes);
        }
        route.handler(new TokenGate());
        if (maxBodyBytes > 0) {
            route.handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
        }
        return route.failureHandler(ctx -> failed(ctx, maxBodyBytes));
    }

    /**
     * The admin token check. A security policy handler to Vert.x Web, so it runs before the route's
     * body handler: a caller without the token never has a byte of its body read.
     */
    private final class TokenGate implements SecurityPolicyHandler {
        @Override
        public void handle(RoutingContext ctx) {
            AdminToken.Verdict v = token.verify(ctx.request().getHeader("authorization"));
            if (v == AdminToken.Verdict.ACCEPTED) {
                ctx.next();
            } else {
                fail(ctx, AdminFailure.unauthenticated(v.message()));
            }
        }
    }

    private void failed(RoutingContext ctx, long maxBodyBytes) {
        if (ctx.failure() != null) {
            fail(ctx, ctx.failure());
        } else if (ctx.statusCode() == 413) {
            fail(
                    ctx,
                    AdminFailure.of(
                            AdminFailure.Kind.TOO_LARGE,
                            "request body exceeds this endpoint's maximum of " + maxBodyBytes + " bytes"));
        } else {
            int status = ctx.statusCode() >= 400 && ctx.statusCode() <= 599 ? ctx.statusCode() : 500;
            AdminFailure.Kind kind = AdminFailure.Kind.of(status);
            fail(ctx, AdminFailure.of(kind, kind == AdminFailure.Kind.INTERNAL ? INTERNAL_MESSAGE : "request refused"));
        }
    }

    @Override
    public void fail(RoutingContext ctx, Throwable failure) {
        AdminFailure f = classify(failure);
        if (f.kind() == AdminFailure.Kind.INTERNAL) {
            LOG.error(
                    "admin {} {} failed", ctx.request().method(), ctx.request().path(), failure);
        }
        HttpServerResponse res = ctx.response();
        if (res.headWritten()) {
            return;
        }
        if (f.kind() == AdminFailure.Kind.UNAUTHENTICATED) {
            res.putHeader("www-authenticate", "Bearer");
        }
        if (f.retryAfterMillis() > 0) {
            res.putHeader("retry-after", Long.toString(Math.max(1, (f.retryAfterMillis() + 999) / 1000)));
        }
        JsonObject body = new JsonObject().put("error", f.getMessage());
        if (f.currentVersion().isPresent()) {
            long version = f.currentVersion().getAsLong();
            body.put("policy_version", version);
            reply(ctx, AdminReply.versioned(f.kind().status(), body, version));
        } else {
            reply(ctx, AdminReply.of(f.kind().status(), body));
        }
    }

    /** The admin failure {@code t} is: its own, the translator's, or an INTERNAL one that says nothing. */
    AdminFailure classify(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        if (c instanceof AdminFailure f) {
            return f;
        }
        Optional<AdminFailure> mapped;
        try {
            mapped = translate.apply(c);
        } catch (RuntimeException e) {
            LOG.error("admin failure translator failed on {}", c.getClass().getName(), e);
            mapped = Optional.empty();
        }
        return mapped.orElseGet(() -> AdminFailure.of(AdminFailure.Kind.INTERNAL, INTERNAL_MESSAGE));
    }

    @Override
    public void reply(RoutingContext ctx, AdminReply reply) {
        HttpServerResponse res = ctx.response();
        if (res.headWritten()) {
            return;
        }
        reply.version().ifPresent(v -> res.putHeader("etag", "\"" + v + "\""));
        // Admin answers describe live state: never cached by a browser or a proxy.
        res.setStatusCode(reply.status())
                .putHeader("content-type", "application/json")
                .putHeader("cache-control", "no-store")
                .end(reply.body().encode());
    }
}
