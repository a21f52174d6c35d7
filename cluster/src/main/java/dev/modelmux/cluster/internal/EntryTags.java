package dev.modelmux.cluster.internal;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Makes and checks the tags of shared entries and of entry processors, with the key derived from
 * the cluster secret ({@link ClusterKeys#tagKey}). Thread-safe. Every reader of a map verifies
 * through {@link #trusted}: an entry of the wrong type or with a tag that does not verify is
 * treated as absent and counted in {@link #forgeries()}.
 */
final class EntryTags {

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;
    private final Forgeries forgeries;

    EntryTags(byte[] tagKey, Forgeries forgeries) {
        this.key = new SecretKeySpec(tagKey, "HmacSHA256");
        Arrays.fill(tagKey, (byte) 0);
        this.forgeries = forgeries;
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    Tag tag(Canonical content) {
        byte[] full = macs.get().doFinal(content.bytes());
        return new Tag(Arrays.copyOf(full, Tag.BYTES));
    }

    boolean verify(Canonical content, Tag tag) {
        return tag != null && tag(content).matches(tag);
    }

    Forgeries forgeries() {
        return forgeries;
    }

    /**
     * {@code raw} as a {@code type} whose tag verifies over {@code content}, or null (absent) when it
     * is null, of another type, or its tag does not verify; the last two are counted under {@code
     * label}.
     */
    <T> T trusted(
            String label,
            Object key,
            Object raw,
            Class<T> type,
            Function<T, Canonical> content,
            Function<T, Tag> tagOf) {
        if (raw == null) {
            return null;
        }
        if (!type.isInstance(raw)) {
            forgeries.refused(label, key, "is not of the type the mesh stores there");
            return null;
        }
        T value = type.cast(raw);
        if (!verify(content.apply(value), tagOf.apply(value))) {
            forgeries.refused(label, key, "carries no valid tag");
            return null;
        }
        return value;
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

    @Override
    public String toString() {
        return "EntryTags";
    }
}
