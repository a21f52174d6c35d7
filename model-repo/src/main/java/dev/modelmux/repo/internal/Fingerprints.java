package dev.modelmux.repo.internal;

import dev.modelmux.repo.ModelEntry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** SHA-256 helpers: artifact hashes and a model folder's change fingerprint. */
final class Fingerprints {
    private Fingerprints() {}

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e); // every Java SE runtime must
        }
    }

    static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /**
     * Changes whenever config.pbtxt's bytes change or any version appears, disappears, or changes
     * its file name, size or modification time. {@code config} is null when there is no config.
     */
    static String of(byte[] config, List<ModelEntry.VersionEntry> versions) {
        MessageDigest d = sha256();
        ByteBuffer header = ByteBuffer.allocate(Long.BYTES + 1);
        header.put((byte) (config == null ? 0 : 1)).putLong(config == null ? 0 : config.length);
        d.update(header.array());
        if (config != null) {
            d.update(config);
        }
        for (ModelEntry.VersionEntry v : versions) {
            byte[] name = v.fileName().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 * Long.BYTES + name.length);
            b.putLong(v.version())
                    .putLong(v.sizeBytes())
                    .putLong(v.lastModifiedMillis())
                    .putLong(name.length)
                    .put(name);
            d.update(b.array());
        }
        return hex(d.digest());
    }
}
