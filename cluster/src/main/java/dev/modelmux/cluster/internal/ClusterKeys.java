package dev.modelmux.cluster.internal;

import dev.modelmux.cluster.ClusterSecret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What the mesh derives from its {@link ClusterSecret}: the Hazelcast cluster name (so only holders
 * of the secret can join) and the key of the entry tags (so only they can write what the mesh
 * believes). Both are HMAC-SHA256 under the secret's UTF-8 bytes, of different fixed labels, so
 * neither reveals the other or the secret: the name travels in clear in Hazelcast's join messages,
 * the tag key never leaves the node.
 *
 * <pre>
 *   name    = label + "-" + hex(HMAC-SHA256(secret, "modelmux cluster name v1\n" + label))[0..32)
 *   tag key =               HMAC-SHA256(secret, "modelmux entry tags v1\n" + label)
 * </pre>
 *
 * where {@code label} is {@link dev.modelmux.cluster.ClusterConfig#clusterName()} ({@code modelmux}).
 */
final class ClusterKeys {

    static final String NAME_LABEL = "modelmux cluster name v1\n";
    static final String TAG_LABEL = "modelmux entry tags v1\n";
    /** Hex characters of the derived name: 128 bits. */
    static final int NAME_HEX = 32;

    private ClusterKeys() {}

    static String clusterName(ClusterSecret secret, String label) {
        byte[] mac = hmac(secret.value().getBytes(StandardCharsets.UTF_8), NAME_LABEL + label);
        return label + "-" + HexFormat.of().formatHex(mac).substring(0, NAME_HEX);
    }

    static byte[] tagKey(ClusterSecret secret, String label) {
        return hmac(secret.value().getBytes(StandardCharsets.UTF_8), TAG_LABEL + label);
    }

    static byte[] hmac(byte[] key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}
