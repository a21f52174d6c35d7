package dev.modelmux.admission.tenant;

import dev.modelmux.admission.Priority;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An immutable set of tenants with a version. Ids are unique and no key hash belongs to two
 * tenants. The {@link #defaultPolicy() default policy} is open: every caller, with or without a
 * key, is the tenant {@code default}.
 */
public final class TenantPolicy {

    /** Id of the tenant of the {@link #defaultPolicy() default policy}. */
    public static final String DEFAULT_TENANT_ID = "default";

    private static final AuthResult MISSING = new AuthResult.Missing();
    private static final AuthResult MALFORMED = new AuthResult.Malformed();
    private static final AuthResult UNKNOWN = new AuthResult.Unknown();
    private static final HexFormat HEX = HexFormat.of();

    private final long version;
    private final List<Tenant> tenants;
    private final Map<String, Tenant> byId;
    private final Map<String, Tenant> byKeyHash;
    private final AuthResult open;

    private TenantPolicy(long version, List<Tenant> tenants, Tenant openTenant) {
        this.version = version;
        this.tenants = List.copyOf(tenants);
        Map<String, Tenant> ids = new LinkedHashMap<>();
        Map<String, Tenant> keys = new HashMap<>();
        for (int i = 0; i < this.tenants.size(); i++) {
            Tenant t = this.tenants.get(i);
            if (ids.putIfAbsent(t.id(), t) != null) {
                throw new IllegalArgumentException(
                        "tenants[" + i + "] (id '" + t.id() + "'): id is used by another tenant");
            }
            for (int k = 0; k < t.keySha256().size(); k++) {
                Tenant other = keys.putIfAbsent(t.keySha256().get(k), t);
                if (other != null) {
                    throw new IllegalArgumentException("tenants[" + i + "] (id '" + t.id() + "'): key_sha256[" + k
                            + "] is also a key of tenant '" + other.id() + "'; each key belongs to one tenant");
                }
            }
        }
        this.byId = Map.copyOf(ids);
        this.byKeyHash = Map.copyOf(keys);
        this.open = openTenant == null ? null : new AuthResult.Ok(openTenant);
    }

    /**
     * A policy of the given tenants.
     *
     * @throws IllegalArgumentException if an id is repeated or a key hash is shared
     */
    public static TenantPolicy of(long version, List<Tenant> tenants) {
        if (tenants == null) {
            throw new IllegalArgumentException("tenants must be a list");
        }
        return new TenantPolicy(version, tenants, null);
    }

    /**
     * The policy without {@code --tenants}: one tenant {@code default} that needs no key, may call
     * every model ({@code *}), DEFAULT priority, weight 1, unlimited rate, 1024 in flight, 4096
     * queued, 256 MiB per request.
     */
    public static TenantPolicy defaultPolicy() {
        Tenant t = new Tenant(
                DEFAULT_TENANT_ID, List.of(), List.of("*"), Priority.DEFAULT, 1.0, 0, 1, 1024, 4096, 256L << 20);
        return new TenantPolicy(0, List.of(t), t);
    }

    public long version() {
        return version;
    }

    public List<Tenant> tenants() {
        return tenants;
    }

    public Optional<Tenant> tenant(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** Whether this policy needs no key (the default policy). */
    public boolean isOpen() {
        return open != null;
    }

    /**
     * Who is calling, from an {@code authorization} value {@code Bearer <key>} (scheme
     * case-insensitive). The key is hashed with SHA-256 and looked up by hash; it is never logged,
     * kept or returned.
     */
    public AuthResult authenticate(String authorizationHeader) {
        if (open != null) {
            return open;
        }
        if (authorizationHeader == null || authorizationHeader.isBlank()) {
            return MISSING;
        }
        String h = authorizationHeader.strip();
        if (h.length() < 8 || !h.regionMatches(true, 0, "Bearer", 0, 6) || h.charAt(6) != ' ') {
            return MALFORMED;
        }
        String key = h.substring(7).strip();
        if (key.isEmpty() || key.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
            return MALFORMED;
        }
        byte[] digest = sha256(key);
        Tenant tenant = byKeyHash.get(HEX.formatHex(digest));
        if (tenant == null) {
            return UNKNOWN;
        }
        for (String stored : tenant.keySha256()) {
            if (MessageDigest.isEqual(HEX.parseHex(stored), digest)) {
                return new AuthResult.Ok(tenant);
            }
        }
        return UNKNOWN;
    }

    /** Lower-case hex SHA-256 of a key's UTF-8 bytes, as stored in {@code key_sha256}. */
    public static String sha256Hex(String key) {
        return HEX.formatHex(sha256(key));
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return "TenantPolicy[version=" + version + ", tenants=" + byId.keySet() + "]";
    }
}
