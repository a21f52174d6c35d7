package dev.modelmux.admin;

import dev.modelmux.admin.internal.GuardedRoutes;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * The guard and the one error mapper of every admin route, wherever it is mounted (the routes of
 * this module and those mesh-node keeps next to what they manage: endpoints, features, labels).
 *
 * <p>A guarded route checks the admin token first, before a byte of the body is read; then reads
 * the body up to the route's limit (a larger one is a 413 that names the limit); then runs the
 * route's work. Its reply, or its failure, is answered as JSON with {@code cache-control: no-store}.
 * A failure is answered {@code {"error": "..."}} with the status of its {@link AdminFailure.Kind}
 * (plus {@code policy_version} and the ETag for a version conflict, {@code www-authenticate} for a
 * 401, {@code retry-after} when known); any other failure goes through the backend's translator,
 * and one it does not know is a 500 whose message says nothing internal (the cause is logged).
 */
public interface AdminHttp {
    /** The body limit of the small JSON bodies of actions (load, drain, switch...). */
    long SMALL_BODY_BYTES = 16 * 1024;

    /**
     * @param token the admin token every route requires
     * @param translate maps the backend's own failure types to admin failures (empty: unknown, a 500)
     */
    static AdminHttp create(AdminToken token, Function<Throwable, Optional<AdminFailure>> translate) {
        return new GuardedRoutes(token, translate);
    }

    /**
     * Guards {@code route} (token, then a body of at most {@code maxBodyBytes}; 0 reads none) and
     * answers with what {@code work} completes with. {@code work} runs on the event loop: it may
     * throw, and must not block.
     */
    Route handle(Route route, long maxBodyBytes, Function<RoutingContext, Future<AdminReply>> work);

    /**
     * Guards {@code route} as {@link #handle} does and returns it, for a handler that answers by
     * itself (a stream); a failure it passes to {@code ctx.fail} is answered by the mapper.
     */
    Route guard(Route route, long maxBodyBytes);

    /** Answers {@code failure} as the mapper does (unless an answer has started already). */
    void fail(RoutingContext ctx, Throwable failure);

    /** Answers {@code reply} (unless an answer has started already). */
    void reply(RoutingContext ctx, AdminReply reply);

    /**
     * The policy version an {@code If-Match} header names ({@code 3}, {@code "3"} or {@code W/"3"});
     * empty without one or for {@code *}.
     *
     * @throws AdminFailure BAD_REQUEST for anything else
     */
    static OptionalLong ifMatch(String header) {
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
        throw AdminFailure.badRequest("If-Match must be a policy version, e.g. 'If-Match: 3' (0: none yet)");
    }

    /**
     * The request body as text.
     *
     * @throws AdminFailure BAD_REQUEST for an empty body, naming {@code what} to send
     */
    static String text(RoutingContext ctx, String what) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) {
            throw AdminFailure.badRequest("request body is empty; send " + what);
        }
        return text;
    }

    /**
     * An optional JSON object body: empty when none was sent.
     *
     * @throws AdminFailure BAD_REQUEST when the body is not a JSON object
     */
    static JsonObject jsonObject(RoutingContext ctx) {
        if (ctx.body() == null || ctx.body().length() == 0) {
            return new JsonObject();
        }
        try {
            JsonObject o = ctx.body().asJsonObject();
            return o == null ? new JsonObject() : o;
        } catch (RuntimeException e) {
            throw AdminFailure.badRequest("request body must be a JSON object");
        }
    }
}
