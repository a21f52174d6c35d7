package dev.modelmux.node.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.node.errors.ServingException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class HopTagTest {
    private static final byte[] KEY = new byte[32];
    private static final String METHOD = "inference.GRPCInferenceService/ModelInfer";
    private static final long T0 = 1_700_000_000_000L;

    static {
        for (int i = 0; i < 32; i++) {
            KEY[i] = (byte) (i + 1);
        }
    }

    private final HopTag tag = new HopTag(KEY);
    private final List<HopAuth.Refusal> refused = new ArrayList<>();
    private final HopTag.Fields fields = new HopTag.Fields(METHOD, "m", "acme", 1500, T0, "AAECAwQFBgcICQoLDA0ODw");

    @Test
    void aTagOverConstantInputsIsTheDocumentedHmac() {
        // python3: hmac.new(bytes(range(1, 33)), b"modelmux hop v1\n" +
        // len4("inference.GRPCInferenceService/ModelInfer")
        //   + ... + len4("m") + ... + len4("acme") + ... + be64(1500) + be64(T0) + len4(nonce) + nonce, sha256),
        // unpadded base64url
        assertThat(tag.sign(fields)).isEqualTo("R3vRfZ3b00Y4l0sZR4HntgVk6zNeJ7DhbyJKsvQyNGc");
        assertThat(tag.verifies(fields, "R3vRfZ3b00Y4l0sZR4HntgVk6zNeJ7DhbyJKsvQyNGc"))
                .isTrue();
    }

    @Test
    void everyFieldIsCovered() {
        String good = tag.sign(fields);
        List<HopTag.Fields> tampered = new ArrayList<>();
        tampered.add(new HopTag.Fields(
                "inference.GRPCInferenceService/ModelStatistics", "m", "acme", 1500, T0, "AAECAwQFBgcICQoLDA0ODw"));
        tampered.add(new HopTag.Fields(METHOD, "n", "acme", 1500, T0, "AAECAwQFBgcICQoLDA0ODw"));
        tampered.add(new HopTag.Fields(METHOD, "m", "other", 1500, T0, "AAECAwQFBgcICQoLDA0ODw"));
        tampered.add(new HopTag.Fields(METHOD, "m", "", 1500, T0, "AAECAwQFBgcICQoLDA0ODw"));
        tampered.add(new HopTag.Fields(METHOD, "m", "acme", 1501, T0, "AAECAwQFBgcICQoLDA0ODw"));
        tampered.add(new HopTag.Fields(METHOD, "m", "acme", 0, T0, "AAECAwQFBgcICQoLDA0ODw"));
        tampered.add(new HopTag.Fields(METHOD, "m", "acme", 1500, T0 + 1, "AAECAwQFBgcICQoLDA0ODw"));
        tampered.add(new HopTag.Fields(METHOD, "m", "acme", 1500, T0, "AAECAwQFBgcICQoLDA0ODx"));
        // Moving a character across a field boundary changes the message (fields are length-prefixed).
        tampered.add(new HopTag.Fields(METHOD, "ma", "cme", 1500, T0, "AAECAwQFBgcICQoLDA0ODw"));
        for (HopTag.Fields f : tampered) {
            assertThat(tag.verifies(f, good)).as(f.toString()).isFalse();
        }
        byte[] otherKey = KEY.clone();
        otherKey[31] ^= 1;
        assertThat(new HopTag(otherKey).verifies(fields, good)).isFalse();
    }

    @Test
    void malformedTagsAreRefusedNotThrown() {
        String good = tag.sign(fields);
        for (String bad : new String[] {
            null, "", "x", good.substring(1), good + "A", "!" + good.substring(1), good.replace(good.charAt(5), '*')
        }) {
            assertThat(tag.verifies(fields, bad)).as(String.valueOf(bad)).isFalse();
        }
        char flipped = good.charAt(0) == 'A' ? 'B' : 'A';
        assertThat(tag.verifies(fields, flipped + good.substring(1))).isFalse();
    }

    @Test
    void aSignerAndAReceiverAgree_andEachRefusalIsCounted() {
        AtomicLong now = new AtomicLong(T0);
        HopSigner signer = new HopSigner(KEY, now::get, new Random(7));
        HopAuth auth = new HopAuth(KEY, now::get, new ReplayCache(30_000, 100), refused::add);

        Map<String, String> h = signer.headers(METHOD, "m", "acme", 1500);
        assertThat(h).doesNotContainKey("x-modelmux-cluster-secret").containsEntry(HopTag.MODEL_HEADER, "m");
        auth.check(METHOD, 1500, h::get);
        assertThat(refused).isEmpty();
        auth.checkModel(h.get(HopTag.MODEL_HEADER), "m");

        // The same headers again: a replay.
        refusedWith(auth, METHOD, 1500, h, HopAuth.Refusal.REPLAY);
        // Another method, timeout or model than tagged.
        Map<String, String> h2 = signer.headers(METHOD, "m", "acme", 1500);
        refusedWith(auth, "inference.GRPCInferenceService/RepositoryModelLoad", 1500, h2, HopAuth.Refusal.BAD_TAG);
        refusedWith(auth, METHOD, 60_000, h2, HopAuth.Refusal.BAD_TAG);
        refusedWith(auth, METHOD, 1500, with(h2, m -> m.put(HopTag.MODEL_HEADER, "big")), HopAuth.Refusal.BAD_TAG);
        refusedWith(auth, METHOD, 1500, with(h2, m -> m.put(HopTag.TENANT_HEADER, "other")), HopAuth.Refusal.BAD_TAG);
        refusedWith(auth, METHOD, 1500, with(h2, m -> m.remove(HopTag.TAG_HEADER)), HopAuth.Refusal.BAD_TAG);
        refusedWith(auth, METHOD, 1500, with(h2, m -> m.put(HopTag.TS_HEADER, "soon")), HopAuth.Refusal.BAD_TAG);
        refusedWith(auth, METHOD, 1500, with(h2, m -> m.put(HopTag.NONCE_HEADER, "short")), HopAuth.Refusal.BAD_TAG);
        // Tampering did not burn the nonce: the genuine headers still pass once.
        auth.check(METHOD, 1500, h2::get);
        // A message for another model than the tag names.
        assertThatThrownBy(() -> auth.checkModel("m", "big"))
                .isInstanceOfSatisfying(
                        ServingException.class,
                        e -> assertThat(e.code()).isEqualTo(ServingException.Code.UNAUTHENTICATED));
        assertThat(refused).last().isEqualTo(HopAuth.Refusal.BAD_TAG);
    }

    @Test
    void timestampsOutsideTheSkewBoundAreStale() {
        AtomicLong senderClock = new AtomicLong(T0);
        AtomicLong receiverClock = new AtomicLong(T0);
        HopSigner signer = new HopSigner(KEY, senderClock::get, new Random(11));
        HopAuth auth = new HopAuth(KEY, receiverClock::get, new ReplayCache(30_000, 100), refused::add);
        long skew = HopAuth.MAX_SKEW.toMillis();

        senderClock.set(T0 - skew); // exactly at the bound, either way: accepted
        auth.check(METHOD, 0, signer.headers(METHOD, "m", "", 0)::get);
        senderClock.set(T0 + skew);
        auth.check(METHOD, 0, signer.headers(METHOD, "m", "", 0)::get);

        senderClock.set(T0 - skew - 1); // one millisecond past it: stale
        refusedWith(auth, METHOD, 0, signer.headers(METHOD, "m", "", 0), HopAuth.Refusal.STALE);
        senderClock.set(T0 + skew + 1); // from the future
        refusedWith(auth, METHOD, 0, signer.headers(METHOD, "m", "", 0), HopAuth.Refusal.STALE);

        // Headers captured now and replayed after the window are stale (the cache has forgotten them by then).
        senderClock.set(T0);
        Map<String, String> captured = signer.headers(METHOD, "m", "", 0);
        auth.check(METHOD, 0, captured::get);
        receiverClock.set(T0 + skew + 1);
        refusedWith(auth, METHOD, 0, captured, HopAuth.Refusal.STALE);
    }

    @Test
    void aFullReplayCacheRefusesWithUnavailable() {
        AtomicLong now = new AtomicLong(T0);
        HopSigner signer = new HopSigner(KEY, now::get, new Random(3));
        HopAuth auth = new HopAuth(KEY, now::get, new ReplayCache(30_000, 2), refused::add);
        auth.check(METHOD, 0, signer.headers(METHOD, "m", "", 0)::get);
        auth.check(METHOD, 0, signer.headers(METHOD, "m", "", 0)::get);
        Map<String, String> third = signer.headers(METHOD, "m", "", 0);
        assertThatThrownBy(() -> auth.check(METHOD, 0, third::get))
                .isInstanceOfSatisfying(
                        ServingException.class, e -> assertThat(e.code()).isEqualTo(ServingException.Code.UNAVAILABLE));
        assertThat(refused).containsExactly(HopAuth.Refusal.REPLAY_CACHE_FULL);
    }

    @Test
    void refusalsNeverEchoWhatWasPresented() {
        AtomicLong now = new AtomicLong(T0);
        HopAuth auth = new HopAuth(KEY, now::get, new ReplayCache(30_000, 100), r -> {});
        Map<String, String> h = new HopSigner(KEY, now::get, new Random(5)).headers(METHOD, "secret-model", "t", 0);
        h.put(HopTag.TAG_HEADER, "forged-" + h.get(HopTag.TAG_HEADER).substring(7));
        assertThatThrownBy(() -> auth.check(METHOD, 0, h::get)).isInstanceOfSatisfying(ServingException.class, e -> {
            assertThat(e.code()).isEqualTo(ServingException.Code.UNAUTHENTICATED);
            for (String v : h.values()) {
                if (v.length() > 1) {
                    assertThat(e.getMessage()).doesNotContain(v);
                }
            }
        });
    }

    private static Map<String, String> with(Map<String, String> h, Consumer<Map<String, String>> change) {
        Map<String, String> copy = new HashMap<>(h);
        change.accept(copy);
        return copy;
    }

    /** Refused UNAUTHENTICATED, counted once under {@code why}. */
    private void refusedWith(HopAuth auth, String method, long timeout, Map<String, String> h, HopAuth.Refusal why) {
        int before = refused.size();
        assertThatThrownBy(() -> auth.check(method, timeout, h::get))
                .isInstanceOfSatisfying(
                        ServingException.class,
                        e -> assertThat(e.code()).isEqualTo(ServingException.Code.UNAUTHENTICATED));
        assertThat(refused.subList(before, refused.size())).containsExactly(why);
    }
}
