package dev.modelmux.node.security;

import dev.modelmux.node.errors.ServingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Checks a shared secret presented in a header (the cluster secret of forwarded requests).
 * Compares SHA-256 digests in constant time; messages never echo what was presented.
 */
public final class SecretCheck {
    private final byte[] digest;
    private final String what;

    public SecretCheck(String secret, String what) {
        if (secret == null || secret.length() < 16) {
            throw new IllegalArgumentException(what + " must be at least 16 characters");
        }
        this.digest = sha256(secret);
        this.what = what;
    }

    /** @throws ServingException UNAUTHENTICATED when {@code presented} is missing or wrong */
    public void check(String presented) {
        if (presented == null || !MessageDigest.isEqual(digest, sha256(presented))) {
            throw new ServingException(ServingException.Code.UNAUTHENTICATED, "this call needs a valid " + what);
        }
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
