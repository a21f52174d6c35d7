package dev.modelmux.node.security;

import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.LongSupplier;

/** The sender's side of {@link HopTag}: the headers that authenticate one forwarded call. */
public final class HopSigner {
    private final HopTag tag;
    private final LongSupplier wallMillis;
    private final Random nonces;

    /**
     * @param wallMillis the wall clock in milliseconds since the epoch (receivers compare it with theirs)
     * @param nonces where nonces come from: a {@link java.security.SecureRandom} outside tests
     */
    public HopSigner(byte[] key, LongSupplier wallMillis, Random nonces) {
        this.tag = new HopTag(key);
        this.wallMillis = wallMillis;
        this.nonces = nonces;
    }

    /**
     * The headers of one hop (the hop marker, model, tenant when there is one, timestamp, nonce, tag),
     * made now with a fresh nonce: each set is good for one call.
     *
     * @param method {@code service/method}
     * @param timeoutMillis the gRPC timeout the call will carry (0 for none), exactly as it sets it
     */
    public Map<String, String> headers(String method, String model, String tenant, long timeoutMillis) {
        byte[] n = new byte[HopTag.NONCE_BYTES];
        nonces.nextBytes(n);
        String nonce = Base64.getUrlEncoder().withoutPadding().encodeToString(n);
        long ts = wallMillis.getAsLong();
        String t = tenant == null ? "" : tenant;
        Map<String, String> h = new LinkedHashMap<>();
        h.put(HopTag.HOP_HEADER, "1");
        h.put(HopTag.MODEL_HEADER, model);
        if (!t.isEmpty()) {
            h.put(HopTag.TENANT_HEADER, t);
        }
        h.put(HopTag.TS_HEADER, Long.toString(ts));
        h.put(HopTag.NONCE_HEADER, nonce);
        h.put(HopTag.TAG_HEADER, tag.sign(new HopTag.Fields(method, model, t, timeoutMillis, ts, nonce)));
        return h;
    }
}
