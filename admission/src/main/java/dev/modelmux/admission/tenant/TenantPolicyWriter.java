package dev.modelmux.admission.tenant;

import java.util.List;

/**
 * Writes a tenant policy as JSON in the file schema of {@link TenantPolicyLoader}, every field
 * explicit, so {@code TenantPolicyLoader.parse(write(p))} gives back the same version and tenants.
 * Keys appear only as their SHA-256 hashes, as the policy holds them. The output is ASCII: every
 * other character is escaped.
 */
public final class TenantPolicyWriter {

    private TenantPolicyWriter() {}

    /**
     * The policy as JSON.
     *
     * @throws IllegalArgumentException for the {@link TenantPolicy#defaultPolicy() open default
     *     policy}, which has no file form (a file's tenants each need a key)
     */
    public static String write(TenantPolicy policy) {
        if (policy.isOpen()) {
            throw new IllegalArgumentException(
                    "the open default policy has no file form: a file's tenants each need a key");
        }
        StringBuilder out = new StringBuilder(256 + policy.tenants().size() * 320);
        out.append("{\"version\": ").append(policy.version()).append(", \"tenants\": [");
        List<Tenant> tenants = policy.tenants();
        for (int i = 0; i < tenants.size(); i++) {
            out.append(i == 0 ? "\n  " : ",\n  ");
            tenant(out, tenants.get(i));
        }
        return out.append(tenants.isEmpty() ? "]}\n" : "\n]}\n").toString();
    }

    /** One tenant as a JSON object in the file schema (an element of the {@code tenants} list). */
    public static String write(Tenant tenant) {
        StringBuilder out = new StringBuilder(320);
        tenant(out, tenant);
        return out.toString();
    }

    private static void tenant(StringBuilder out, Tenant t) {
        out.append("{\"id\": ");
        string(out, t.id());
        out.append(", \"key_sha256\": ");
        strings(out, t.keySha256());
        out.append(", \"models\": ");
        strings(out, t.models());
        out.append(", \"priority\": \"").append(t.priority().name()).append('"');
        out.append(", \"weight\": ").append(number(t.weight()));
        out.append(", \"rate\": ").append(number(t.rate()));
        out.append(", \"burst\": ").append(t.burst());
        out.append(", \"max_in_flight\": ").append(t.maxInFlight());
        out.append(", \"max_queued\": ").append(t.maxQueued());
        out.append(", \"max_request_bytes\": ").append(t.maxRequestBytes());
        out.append('}');
    }

    /**
     * A finite double that YAML 1.1 (SnakeYAML) reads back as the same double: Java's shortest
     * round-trip form, with the exponent's sign made explicit ({@code 1.0E10} would read as a
     * string; {@code 1.0E+10} is a float).
     */
    static String number(double d) {
        String s = Double.toString(d);
        int e = s.indexOf('E');
        return e < 0 || s.charAt(e + 1) == '-' ? s : s.substring(0, e + 1) + "+" + s.substring(e + 1);
    }

    private static void strings(StringBuilder out, List<String> values) {
        out.append('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            string(out, values.get(i));
        }
        out.append(']');
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        out.append('"');
    }
}
