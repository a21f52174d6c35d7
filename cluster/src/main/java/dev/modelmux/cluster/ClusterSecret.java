package dev.modelmux.cluster;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The secret every node of one mesh shares ({@code --cluster-secret}). The cluster network is not
 * trusted; this is: the Hazelcast cluster name and the key that tags every shared entry are derived
 * from it, so a process without it can neither join the mesh nor write anything the nodes believe.
 *
 * <p>Refused at construction when it is obviously guessable: fewer than {@link #MIN_LENGTH}
 * characters, a short pattern repeated, a run of neighbouring characters ({@code abcd…}, {@code
 * 1234…}), or too few distinct characters for its length. The message names the key and never
 * carries the value; {@link #toString()} never shows it either.
 *
 * @param value the secret's text
 */
public record ClusterSecret(String value) {

    /** Fewest characters accepted. */
    public static final int MIN_LENGTH = 32;

    /**
     * Fewest bits the character statistics of a secret must suggest: random base64 of 32 bytes shows
     * about 200, random hex of 16 bytes never less than 85.
     */
    static final double MIN_ESTIMATED_BITS = 72;

    /** What the key of forward hops' tags is derived under (see {@link #hopKey()}). */
    static final String HOP_LABEL = "modelmux forward hops v1\n";

    private static final String HOW = "use at least " + MIN_LENGTH
            + " random characters, the same on every node, e.g. the output of `openssl rand -base64 32`";

    public ClusterSecret {
        Objects.requireNonNull(value, "cluster-secret");
        String weakness = weakness(value);
        if (weakness != null) {
            throw new IllegalArgumentException("cluster-secret: too weak (" + weakness + "); " + HOW);
        }
    }

    /** The secret {@code text}, checked as the constructor does. */
    public static ClusterSecret of(String text) {
        return new ClusterSecret(text);
    }

    /** A fresh random secret (256 bits): for a node that runs alone and shares it with nobody. */
    public static ClusterSecret random() {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        return new ClusterSecret(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    /**
     * The key that tags requests forwarded between nodes: HMAC-SHA256(secret, {@code "modelmux forward
     * hops v1\n"}). A label of its own, so it is neither the Hazelcast cluster name nor the key of
     * the entry tags, and reveals neither them nor the secret; it never leaves the node (a hop carries
     * a tag made with it, not the key or the secret). A fresh array on each call: the caller may clear it.
     */
    public byte[] hopKey() {
        byte[] key = value.getBytes(StandardCharsets.UTF_8);
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(HOP_LABEL.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    @Override
    public String toString() {
        return "ClusterSecret[hidden]";
    }

    /** Why {@code s} is obviously guessable, or null when it is not. Never mentions the text itself. */
    static String weakness(String s) {
        if (s.length() < MIN_LENGTH) {
            return s.length() + " characters, fewer than " + MIN_LENGTH;
        }
        if (s.isBlank()) {
            return "only white space";
        }
        int period = smallestPeriod(s);
        if (period <= s.length() / 2) {
            return "a pattern of " + period + " characters repeated";
        }
        int steps = 0;
        for (int i = 1; i < s.length(); i++) {
            if (Math.abs(s.charAt(i) - s.charAt(i - 1)) <= 1) {
                steps++;
            }
        }
        if (steps * 4 >= (s.length() - 1) * 3) {
            return "mostly runs of neighbouring or equal characters";
        }
        if (estimatedBits(s) < MIN_ESTIMATED_BITS) {
            return "too few distinct characters for its length";
        }
        return null;
    }

    /** Length times the Shannon entropy of the text's own character frequencies: a crude upper bound. */
    static double estimatedBits(String s) {
        Map<Character, Integer> counts = new HashMap<>();
        for (int i = 0; i < s.length(); i++) {
            counts.merge(s.charAt(i), 1, Integer::sum);
        }
        double bitsPerChar = 0;
        for (int c : counts.values()) {
            double p = (double) c / s.length();
            bitsPerChar -= p * Math.log(p) / Math.log(2);
        }
        return bitsPerChar * s.length();
    }

    /** The shortest p such that s[i] == s[i - p] for every i >= p (the whole length if none). */
    private static int smallestPeriod(String s) {
        int[] border = new int[s.length()];
        for (int i = 1, k = 0; i < s.length(); i++) {
            while (k > 0 && s.charAt(i) != s.charAt(k)) {
                k = border[k - 1];
            }
            if (s.charAt(i) == s.charAt(k)) {
                k++;
            }
            border[i] = k;
        }
        return s.length() - border[s.length() - 1];
    }
}
