package dev.modelmux.node.security;

import dev.modelmux.node.errors.ServingException;
import java.security.MessageDigest;

/**
 * Checks the admin bearer token of management calls (repository load/unload, later the admin
 * API). Compares SHA-256 digests in constant time, so neither timing nor length leaks the token.
 */
public final class AdminAuth {
    private final byte[] tokenDigest;

    public AdminAuth(String token) {
        if (token == null || token.length() < 16) {
            throw new IllegalArgumentException("admin token must be at least 16 characters");
        }
        this.tokenDigest = sha256(token);
    }

    /**
     * @param authorization the {@code authorization} header or metadata value
     * @throws ServingException UNAUTHENTICATED when missing or wrong (the message never echoes it)
     */
    public void check(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw new ServingException(
                    ServingException.Code.UNAUTHENTICATED,
                    "this call needs the admin token: send 'authorization: Bearer <admin token>'");
        }
        String prefix = "bearer ";
        if (authorization.length() <= prefix.length()
                || !authorization.regionMatches(true, 0, prefix, 0, prefix.length())) {
            throw new ServingException(
                    ServingException.Code.UNAUTHENTICATED, "authorization must be 'Bearer <admin token>'");
        }
        String presented = authorization.substring(prefix.length()).trim();
        if (!MessageDigest.isEqual(tokenDigest, sha256(presented))) {
            throw new ServingException(ServingException.Code.UNAUTHENTICATED, "the admin token is not valid");
        }
    }

    private static byte[] sha256(String s) {
        return SecretCheck.sha256(s);
    }
}
