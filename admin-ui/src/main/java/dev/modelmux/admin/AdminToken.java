package dev.modelmux.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The admin bearer token, held as its SHA-256 digest. A presented token is hashed and compared in
 * constant time, so neither timing nor length leaks the token; no verdict echoes what was presented.
 */
public final class AdminToken {
    /** The shortest token accepted. */
    public static final int MIN_LENGTH = 16;

    private static final String BEARER = "bearer ";

    /** The outcome of presenting an {@code authorization} header. */
    public enum Verdict {
        ACCEPTED(""),
        MISSING("this call needs the admin token: send 'authorization: Bearer <admin token>'"),
        NOT_BEARER("authorization must be 'Bearer <admin token>'"),
        WRONG("the admin token is not valid");

        private final String message;

        Verdict(String message) {
            this.message = message;
        }

        /** What the caller is told (empty for {@link #ACCEPTED}). */
        public String message() {
            return message;
        }
    }

    private final byte[] digest;

    private AdminToken(byte[] digest) {
        this.digest = digest;
    }

    /** @throws IllegalArgumentException when {@code token} is shorter than {@value #MIN_LENGTH} characters */
    public static AdminToken of(String token) {
        if (token == null || token.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("admin token must be at least " + MIN_LENGTH + " characters");
        }
        return new AdminToken(sha256(token));
    }

    /** Judges an {@code authorization} header or metadata value ({@code Bearer <token>}, any case). */
    public Verdict verify(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            return Verdict.MISSING;
        }
        if (authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Verdict.NOT_BEARER;
        }
        String presented = authorization.substring(BEARER.length()).trim();
        return MessageDigest.isEqual(digest, sha256(presented)) ? Verdict.ACCEPTED : Verdict.WRONG;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
