package dev.modelmux.node.security;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The tag that authenticates one request forwarded between nodes, in place of the cluster secret:
 * HMAC-SHA256 under the hop key ({@link dev.modelmux.cluster.ClusterSecret#hopKey()}) over what
 * the receiver can read from the call's metadata before its message: the gRPC method, the model, the
 * tenant, the timeout, a timestamp and a nonce. The message is unambiguous: a version label, then
 * each text field as its UTF-8 length (4 bytes) and bytes, each number as 8 bytes, so no two field
 * sets sign the same bytes. The tag travels as unpadded base64url of all 32 bytes.
 *
 * <p>Pure: no clock, no randomness, no I/O ({@link HopSigner} and {@link HopAuth} bring those).
 */
public final class HopTag {
    /** Marks a call as a hop from another node of the mesh (the tag headers then authenticate it). */
    public static final String HOP_HEADER = "x-modelmux-hop";
    /** The model the hop is for: checked against the message once it is parsed. */
    public static final String MODEL_HEADER = "x-modelmux-hop-model";
    /** The tenant the entry node admitted the request for (the holder queues it under that tenant). */
    public static final String TENANT_HEADER = "x-modelmux-tenant";
    /** When the sender made the tag, in milliseconds since the epoch. */
    public static final String TS_HEADER = "x-modelmux-hop-ts";
    /** 16 random bytes, unpadded base64url: a receiver accepts each nonce once. */
    public static final String NONCE_HEADER = "x-modelmux-hop-nonce";

    public static final String TAG_HEADER = "x-modelmux-hop-tag";

    /** Bytes of a nonce. */
    public static final int NONCE_BYTES = 16;

    private static final byte[] LABEL = "modelmux hop v1\n".getBytes(StandardCharsets.UTF_8);
    private static final int TAG_BYTES = 32;

    /**
     * What one tag covers.
     *
     * @param method the gRPC method, {@code service/method} (e.g. {@code inference.GRPCInferenceService/ModelInfer})
     * @param model the model name the message carries ("" when the call names none)
     * @param tenant the tenant the request was admitted for ("" when none)
     * @param timeoutMillis the call's gRPC timeout in milliseconds, 0 when it has none
     * @param timestampMillis when the tag was made (sender's wall clock)
     * @param nonce the nonce as sent
     */
    public record Fields(
            String method, String model, String tenant, long timeoutMillis, long timestampMillis, String nonce) {
        public Fields {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(tenant, "tenant");
            Objects.requireNonNull(nonce, "nonce");
        }
    }

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    /** @param key the hop key (copied; at least 32 bytes) */
    public HopTag(byte[] key) {
        if (key.length < 32) {
            throw new IllegalArgumentException("hop key: needs at least 32 bytes, has " + key.length);
        }
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** The tag of {@code f}, as it travels in {@link #TAG_HEADER}. */
    public String sign(Fields f) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac(f));
    }

    /**
     * Whether {@code tag} is the tag of {@code f}: compared in constant time; a missing or malformed
     * tag is simply false.
     */
    public boolean verifies(Fields f, String tag) {
        if (tag == null || tag.length() != 43) {
            return false;
        }
        byte[] presented;
        try {
            presented = Base64.getUrlDecoder().decode(tag);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return presented.length == TAG_BYTES && MessageDigest.isEqual(mac(f), presented);
    }

    private byte[] mac(Fields f) {
        Mac mac = macs.get();
        mac.update(LABEL);
        text(mac, f.method());
        text(mac, f.model());
        text(mac, f.tenant());
        number(mac, f.timeoutMillis());
        number(mac, f.timestampMillis());
        text(mac, f.nonce());
        return mac.doFinal();
    }

    private static void text(Mac mac, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        mac.update(ByteBuffer.allocate(4).putInt(b.length).array());
        mac.update(b);
    }

    private static void number(Mac mac, long v) {
        mac.update(ByteBuffer.allocate(8).putLong(v).array());
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
