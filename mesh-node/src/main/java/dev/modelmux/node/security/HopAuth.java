package dev.modelmux.node.security;

import dev.modelmux.node.errors.ServingException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * The receiver's side of {@link HopTag}: decides from a call's metadata alone, before its message is
 * read, whether it is a hop from a node of the mesh. In order: the tag must verify (constant time) over
 * the method and timeout the call really has and the model, tenant, timestamp and nonce it carries;
 * the timestamp must be within {@link #MAX_SKEW} of this node's clock; the nonce must not have been
 * accepted within that window ({@link ReplayCache}). Once the message is parsed, {@link #checkModel}
 * holds it to the model the tag names.
 *
 * <p>Every refusal is UNAUTHENTICATED (UNAVAILABLE when the replay cache is full), with a message that
 * never echoes what was presented, and is counted under its {@link Refusal} label.
 */
public final class HopAuth {
    /** How far a hop's timestamp may be from this node's clock, either way: the clock-skew bound of the mesh. */
    public static final Duration MAX_SKEW = Duration.ofSeconds(30);

    /** Why a hop was refused (the metric's {@code reason} label). */
    public enum Refusal {
        /** No tag, a malformed one, one that does not verify, or a message for another model than tagged. */
        BAD_TAG,
        /** A timestamp outside the skew bound. */
        STALE,
        /** A nonce accepted before within the window. */
        REPLAY,
        /** The replay cache is full of nonces still in their window. */
        REPLAY_CACHE_FULL;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final String NEEDS = "this call needs a valid hop tag of the mesh";

    private final HopTag tag;
    private final LongSupplier wallMillis;
    private final ReplayCache replays;
    private final Consumer<Refusal> refused;

    /**
     * @param key the hop key
     * @param wallMillis this node's wall clock, milliseconds since the epoch
     * @param replays the nonces accepted so far (window {@link #MAX_SKEW})
     * @param refused told each refusal (a metric)
     */
    public HopAuth(byte[] key, LongSupplier wallMillis, ReplayCache replays, Consumer<Refusal> refused) {
        this.tag = new HopTag(key);
        this.wallMillis = wallMillis;
        this.replays = replays;
        this.refused = refused;
    }

    /**
     * Checks a hop's metadata.
     *
     * @param method the called method, {@code service/method}, as the server resolved it
     * @param timeoutMillis the call's gRPC timeout as the server parsed it (0 for none)
     * @param header the call's metadata, by name (null when absent)
     * @throws ServingException UNAUTHENTICATED (UNAVAILABLE when the replay cache is full)
     */
    public void check(String method, long timeoutMillis, Function<String, String> header) {
        String presented = header.apply(HopTag.TAG_HEADER);
        String nonce = header.apply(HopTag.NONCE_HEADER);
        long ts;
        long nonceBits;
        try {
            ts = Long.parseLong(String.valueOf(header.apply(HopTag.TS_HEADER)));
            nonceBits = nonceBits(nonce);
        } catch (IllegalArgumentException e) {
            throw refuse(Refusal.BAD_TAG, NEEDS);
        }
        HopTag.Fields f = new HopTag.Fields(
                method,
                orEmpty(header.apply(HopTag.MODEL_HEADER)),
                orEmpty(header.apply(HopTag.TENANT_HEADER)),
                timeoutMillis,
                ts,
                nonce);
        if (!tag.verifies(f, presented)) {
            throw refuse(Refusal.BAD_TAG, NEEDS);
        }
        long now = wallMillis.getAsLong();
        if (Math.abs(now - ts) > MAX_SKEW.toMillis()) {
            throw refuse(
                    Refusal.STALE,
                    "the hop's timestamp is more than " + MAX_SKEW.toSeconds()
                            + " s from this node's clock: check that the nodes' clocks are synchronized");
        }
        switch (replays.admit(nonceBits, ts, now)) {
            case FRESH -> {}
            case REPLAYED -> throw refuse(Refusal.REPLAY, "this hop was received before: a hop is accepted once");
            case FULL -> {
                refused.accept(Refusal.REPLAY_CACHE_FULL);
                throw new ServingException(
                        ServingException.Code.UNAVAILABLE,
                        "this node has accepted too many forwarded requests within the last " + MAX_SKEW.toSeconds()
                                + " s to remember another; retry");
            }
        }
    }

    /**
     * Holds a hop's parsed message to the model its tag names, so that a tag made for one model cannot
     * carry a message for another.
     *
     * @param tagged the model header of a hop {@link #check} accepted
     * @param inMessage the model the message names
     */
    public void checkModel(String tagged, String inMessage) {
        if (!orEmpty(tagged).equals(inMessage)) {
            throw refuse(Refusal.BAD_TAG, "the forwarded message is not for the model its hop tag names");
        }
    }

    private ServingException refuse(Refusal why, String message) {
        refused.accept(why);
        return new ServingException(ServingException.Code.UNAUTHENTICATED, message);
    }

    /** The first 8 of the nonce's 16 bytes: what the replay cache keeps (a random 64-bit value). */
    private static long nonceBits(String nonce) {
        if (nonce == null || nonce.length() != 22) {
            throw new IllegalArgumentException("nonce");
        }
        byte[] b = Base64.getUrlDecoder().decode(nonce);
        if (b.length != HopTag.NONCE_BYTES) {
            throw new IllegalArgumentException("nonce");
        }
        return ByteBuffer.wrap(b).getLong();
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
