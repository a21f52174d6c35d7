package dev.modelmux.node.protocol;

import dev.modelmux.node.errors.ServingException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.SecurityPolicyHandler;
import java.util.function.Consumer;

/**
 * Checks a REST call's credentials from its headers before its body is read: registered as a security
 * policy handler, Vert.x Web runs it ahead of the route's body handler, so a caller without valid
 * credentials never has a byte of its body buffered. A refusal is {@code {"error": "..."}} with the
 * status of the failure and closes the connection (the unread body is not drained).
 */
public final class CredentialGate implements SecurityPolicyHandler {
    private final Consumer<String> check;

    /** @param check given the {@code authorization} header; throws a {@link ServingException} to refuse */
    public CredentialGate(Consumer<String> check) {
        this.check = check;
    }

    @Override
    public void handle(RoutingContext ctx) {
        try {
            check.accept(ctx.request().getHeader("authorization"));
        } catch (ServingException e) {
            if (e.code() == ServingException.Code.UNAUTHENTICATED) {
                ctx.response().putHeader("www-authenticate", "Bearer");
            }
            ctx.response()
                    .setStatusCode(e.code().http())
                    .putHeader("content-type", "application/json")
                    .putHeader("content-encoding", "identity")
                    .putHeader("connection", "close")
                    .end(new JsonObject().put("error", e.getMessage()).encode());
            return;
        }
        ctx.next();
    }
}
