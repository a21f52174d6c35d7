package dev.modelmux.node.admin;

import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.errors.VersionConflict;
import dev.modelmux.node.security.AdminAuth;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.OptionalLong;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Small JSON routes behind the admin token: {@code {"error": "..."}} with the status of the
 * {@link ServingException}, a 413 that names the limit, nothing internal in a message.
 */
public final class AdminRoutes {
    private static final Logger LOG = LoggerFactory.getLogger(AdminRoutes.class);

    private AdminRoutes() {}

    /** A response: status and body. */
    public record Reply(int status, JsonObject body) {
        public static Reply ok(JsonObject body) {
            return new Reply(200, body);
        }
    }

    /** Checks the admin token, runs {@code work} and answers with its reply or its failure. */
    public static void handle(RoutingContext ctx, AdminAuth admin, Supplier<Future<Reply>> work) {
        handle(ctx, admin, work, (c, r) -> json(c.response(), r.status(), r.body()), AdminRoutes::fail);
    }

    /**
     * Checks the admin token, runs {@code work}, and hands its result to {@code ok} or its failure
     * (including a refused token) to {@code failed}: for routes whose replies carry more than a body
     * (an ETag) or whose failures need their own statuses (a version conflict).
     */
    public static <R> void handle(
            RoutingContext ctx,
            AdminAuth admin,
            Supplier<Future<R>> work,
            BiConsumer<RoutingContext, R> ok,
            BiConsumer<RoutingContext, Throwable> failed) {
        Future<R> f;
        try {
            admin.check(ctx.request().getHeader("authorization"));
            f = work.get();
        } catch (RuntimeException e) {
            f = Future.failedFuture(e);
        }
        f.onComplete(ar -> {
            if (ar.succeeded()) {
                ok.accept(ctx, ar.result());
            } else {
                failed.accept(ctx, ar.cause());
            }
        });
    }

    /** The failure handler of a route whose body is capped at {@code maxBytes}. */
    public static void failure(RoutingContext ctx, long maxBytes) {
        failure(ctx, maxBytes, AdminRoutes::fail);
    }

    /** As {@link #failure(RoutingContext, long)}, answering other failures with {@code failed}. */
    public static void failure(RoutingContext ctx, long maxBytes, BiConsumer<RoutingContext, Throwable> failed) {
        if (ctx.statusCode() == 413) {
            json(
                    ctx.response(),
                    413,
                    new JsonObject()
                            .put("error", "request body exceeds this endpoint's maximum of " + maxBytes + " bytes"));
        } else if (ctx.failure() != null) {
            failed.accept(ctx, ctx.failure());
        } else {
            ctx.next();
        }
    }

    /** Answers a reply with its policy version as the ETag. */
    public static void versioned(RoutingContext ctx, int status, JsonObject body, long version) {
        json(ctx.response().putHeader("etag", "\"" + version + "\""), status, body);
    }

    /**
     * The policy version an {@code If-Match} header names ({@code 3}, {@code "3"} or {@code W/"3"});
     * empty without one or for {@code *}; a 400 for anything else.
     */
    public static OptionalLong ifMatch(String header) {
        if (header == null || header.isBlank() || header.strip().equals("*")) {
            return OptionalLong.empty();
        }
        String v = header.strip();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        if (!v.isEmpty() && v.length() <= 18 && v.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return OptionalLong.of(Long.parseLong(v));
        }
        throw ServingException.invalid("If-Match must be a policy version, e.g. 'If-Match: 3' (0: none yet)");
    }

    /** The request body as text; an empty body is a 400 naming what to send. */
    public static String body(RoutingContext ctx, String what) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw ServingException.invalid("request body is empty; send " + what);
        }
        return text;
    }

    public static void fail(RoutingContext ctx, Throwable t) {
        if (ServingException.unwrap(t) instanceof VersionConflict conflict) {
            versioned(
                    ctx,
                    409,
                    new JsonObject()
                            .put("error", conflict.getMessage())
                            .put("policy_version", conflict.currentVersion()),
                    conflict.currentVersion());
            return;
        }
        ServingException se = ServingException.of(t);
        if (se.code() == ServingException.Code.INTERNAL) {
            LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), t);
        }
        if (se.code() == ServingException.Code.UNAUTHENTICATED) {
            ctx.response().putHeader("www-authenticate", "Bearer");
        }
        if (se.retryAfterMillis() > 0) {
            ctx.response().putHeader("retry-after", Long.toString(Math.max(1, (se.retryAfterMillis() + 999) / 1000)));
        }
        json(ctx.response(), se.code().http(), new JsonObject().put("error", se.getMessage()));
    }

    public static void json(HttpServerResponse response, int status, JsonObject body) {
        if (!response.ended()) {
            // Admin answers describe live state: never cached by a browser or a proxy.
            response.setStatusCode(status)
                    .putHeader("content-type", "application/json")
                    .putHeader("cache-control", "no-store")
                    .end(body.encode());
        }
    }
}
