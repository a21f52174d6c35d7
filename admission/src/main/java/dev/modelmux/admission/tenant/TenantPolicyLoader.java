package dev.modelmux.admission.tenant;

import dev.modelmux.admission.Priority;
import dev.modelmux.admission.config.StrictYaml;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a tenant policy from YAML (JSON, being YAML, loads too):
 *
 * <pre>
 * version: 3                      # optional, default 0
 * tenants:
 *   - id: acme                    # required, 1-64 of [A-Za-z0-9._-]
 *     key_sha256: [9f86d0...]     # required, >= 1 lower-case hex SHA-256 of each key
 *     models: ["resnet-*"]        # default ["*"]
 *     priority: DEFAULT           # CRITICAL | DEFAULT | SHEDDABLE, default DEFAULT
 *     weight: 1.0                 # default 1.0
 *     rate: 100                   # requests/s, 0 = unlimited; default 0
 *     burst: 100                  # default max(1, ceil(rate))
 *     max_in_flight: 64           # default 64
 *     max_queued: 256             # default 256
 *     max_request_bytes: 67108864 # default 64 MiB
 * </pre>
 *
 * Unknown keys are rejected. Errors name the tenant and the key, e.g. {@code tenants[2] (id
 * 'acme'): max_in_flight must be >= 1, was 0}. Only plain maps, lists, strings and numbers are
 * built (SnakeYAML's safe constructor); input is capped at {@link #MAX_BYTES} and nesting at
 * {@link #MAX_DEPTH}.
 */
public final class TenantPolicyLoader {

    public static final int MAX_BYTES = 1 << 20;
    public static final int MAX_DEPTH = 16;
    public static final int DEFAULT_MAX_IN_FLIGHT = 64;
    public static final int DEFAULT_MAX_QUEUED = 256;
    public static final long DEFAULT_MAX_REQUEST_BYTES = 64L << 20;
    public static final double DEFAULT_WEIGHT = 1.0;

    private static final Set<String> TOP_KEYS = Set.of("version", "tenants");
    private static final Set<String> TENANT_KEYS = Set.of(
            "id",
            "key_sha256",
            "models",
            "priority",
            "weight",
            "rate",
            "burst",
            "max_in_flight",
            "max_queued",
            "max_request_bytes");

    private TenantPolicyLoader() {}

    /** Reads and parses a policy file. */
    public static TenantPolicy load(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new InvalidPolicyException(file.getFileName() + ": larger than " + MAX_BYTES + " bytes");
            }
            return parse(new String(bytes, StandardCharsets.UTF_8));
        }
    }

    /**
     * Parses a policy.
     *
     * @throws InvalidPolicyException with a message naming the tenant and key at fault
     */
    public static TenantPolicy parse(String text) {
        Object root = yaml(text, "tenant policy");
        if (!(root instanceof Map<?, ?> top)) {
            throw new InvalidPolicyException("tenant policy must be a map with a 'tenants' list");
        }
        checkKeys(top, TOP_KEYS, "tenant policy");
        long version = top.containsKey("version") ? integer(top.get("version"), "version") : 0;
        if (!(top.get("tenants") instanceof List<?> list)) {
            throw new InvalidPolicyException("tenants must be a list of tenants");
        }
        List<Tenant> tenants = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            tenants.add(tenant(list.get(i), "tenants[" + i + "]"));
        }
        try {
            return TenantPolicy.of(version, tenants);
        } catch (IllegalArgumentException e) {
            throw new InvalidPolicyException(e.getMessage());
        }
    }

    /**
     * Parses one tenant: a map as one element of the {@code tenants} list.
     *
     * @param impliedId the id to use when the map has none; {@code null} when {@code id} is required
     * @throws InvalidPolicyException with a message naming the key at fault, e.g. {@code tenant (id
     *     'acme'): rate must be a number, was 'fast'}
     */
    public static Tenant parseTenant(String text, String impliedId) {
        Object root = yaml(text, "tenant");
        if (impliedId != null && root instanceof Map<?, ?> m && !m.containsKey("id")) {
            Map<Object, Object> withId = new LinkedHashMap<>(m);
            withId.put("id", impliedId);
            root = withId;
        }
        return tenant(root, "tenant");
    }

    private static Object yaml(String text, String what) {
        try {
            return StrictYaml.load(text, what, MAX_BYTES, MAX_DEPTH);
        } catch (StrictYaml.InvalidYamlException e) {
            throw new InvalidPolicyException(e.getMessage());
        }
    }

    private static Tenant tenant(Object node, String where) {
        if (!(node instanceof Map<?, ?> m)) {
            throw new InvalidPolicyException(where + ": must be a map with at least 'id' and 'key_sha256'");
        }
        if (m.get("id") instanceof String id) {
            where += " (id '" + (id.length() > 64 ? id.substring(0, 64) + "..." : id) + "')";
        }
        try {
            checkKeys(m, TENANT_KEYS, "");
            if (!(m.get("id") instanceof String id)) {
                throw new IllegalArgumentException("id is required and must be a string");
            }
            List<String> keys = strings(m.get("key_sha256"), "key_sha256");
            if (keys.isEmpty()) {
                throw new IllegalArgumentException(
                        "key_sha256 must list at least one SHA-256 hex digest of an API key");
            }
            List<String> models = m.containsKey("models") ? strings(m.get("models"), "models") : List.of("*");
            Priority priority = m.containsKey("priority") ? priority(m.get("priority")) : Priority.DEFAULT;
            double weight = m.containsKey("weight") ? number(m.get("weight"), "weight") : DEFAULT_WEIGHT;
            double rate = m.containsKey("rate") ? number(m.get("rate"), "rate") : 0;
            long burst =
                    m.containsKey("burst") ? integer(m.get("burst"), "burst") : Math.max(1, (long) Math.ceil(rate));
            int maxInFlight = m.containsKey("max_in_flight")
                    ? toInt(integer(m.get("max_in_flight"), "max_in_flight"), "max_in_flight")
                    : DEFAULT_MAX_IN_FLIGHT;
            int maxQueued = m.containsKey("max_queued")
                    ? toInt(integer(m.get("max_queued"), "max_queued"), "max_queued")
                    : DEFAULT_MAX_QUEUED;
            long maxBytes = m.containsKey("max_request_bytes")
                    ? integer(m.get("max_request_bytes"), "max_request_bytes")
                    : DEFAULT_MAX_REQUEST_BYTES;
            return new Tenant(id, keys, models, priority, weight, rate, burst, maxInFlight, maxQueued, maxBytes);
        } catch (IllegalArgumentException e) {
            throw new InvalidPolicyException(where + ": " + e.getMessage());
        }
    }

    private static void checkKeys(Map<?, ?> m, Set<String> allowed, String what) {
        for (Object k : m.keySet()) {
            if (!(k instanceof String s) || !allowed.contains(s)) {
                String prefix = what.isEmpty() ? "" : what + ": ";
                throw new InvalidPolicyException(prefix + "unknown key '" + k + "'; known keys: "
                        + allowed.stream().sorted().toList());
            }
        }
    }

    private static List<String> strings(Object v, String key) {
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException(key + " must be a list of strings, was " + type(v));
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw new IllegalArgumentException(key + "[" + i + "] must be a string, was " + type(list.get(i)));
            }
            out.add(s);
        }
        return out;
    }

    private static Priority priority(Object v) {
        if (v instanceof String s) {
            try {
                return Priority.valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                // fall through
            }
        }
        throw new IllegalArgumentException("priority must be one of CRITICAL, DEFAULT, SHEDDABLE, was " + describe(v));
    }

    private static double number(Object v, String key) {
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw new IllegalArgumentException(key + " must be a number, was " + describe(v));
    }

    private static long integer(Object v, String key) {
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw new IllegalArgumentException(key + " must be an integer, was " + describe(v));
    }

    private static int toInt(long v, String key) {
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new IllegalArgumentException(key + " must be at most " + Integer.MAX_VALUE + ", was " + v);
        }
        return (int) v;
    }

    private static String describe(Object v) {
        return StrictYaml.describe(v);
    }

    private static String type(Object v) {
        return StrictYaml.type(v);
    }
}
