package dev.modelmux.admin;

import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What an admin route answers: a status, a JSON body, and for a versioned policy the version that
 * becomes its {@code ETag}. Every answer also carries {@code cache-control: no-store}.
 */
public record AdminReply(int status, JsonObject body, OptionalLong version) {
    public AdminReply {
        if (status < 200 || status > 599) {
            throw new IllegalArgumentException("status must be 200-599, was " + status);
        }
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(version, "version");
    }

    public static AdminReply ok(JsonObject body) {
        return new AdminReply(200, body, OptionalLong.empty());
    }

    public static AdminReply of(int status, JsonObject body) {
        return new AdminReply(status, body, OptionalLong.empty());
    }

    /** An answer about policy {@code version}, which it carries as {@code ETag: "<version>"}. */
    public static AdminReply versioned(int status, JsonObject body, long version) {
        return new AdminReply(status, body, OptionalLong.of(version));
    }
}
