package dev.modelmux.node.security;

import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminToken;
import dev.modelmux.node.errors.AdminFailures;
import dev.modelmux.node.errors.ServingException;

/**
 * The admin bearer token of management calls: the repository's load and unload (gRPC and REST),
 * and every admin route ({@link #http()}). The token is compared as a SHA-256 digest in constant
 * time ({@link AdminToken}), so neither timing nor length leaks it.
 */
public final class AdminAuth {
    private final AdminToken token;
    private final AdminHttp http;

    /** @throws IllegalArgumentException when {@code token} is shorter than 16 characters */
    public AdminAuth(String token) {
        this.token = AdminToken.of(token);
        this.http = AdminHttp.create(this.token, AdminFailures::of);
    }

    /**
     * @param authorization the {@code authorization} header or metadata value
     * @throws ServingException UNAUTHENTICATED when missing or wrong (the message never echoes it)
     */
    public void check(String authorization) {
        AdminToken.Verdict v = token.verify(authorization);
        if (v != AdminToken.Verdict.ACCEPTED) {
            throw new ServingException(ServingException.Code.UNAUTHENTICATED, v.message());
        }
    }

    /** Whether {@code authorization} carries the admin token. */
    public boolean accepts(String authorization) {
        return token.verify(authorization) == AdminToken.Verdict.ACCEPTED;
    }

    /** The guard and error mapper of every admin route, with this token and the node's failure types. */
    public AdminHttp http() {
        return http;
    }
}
