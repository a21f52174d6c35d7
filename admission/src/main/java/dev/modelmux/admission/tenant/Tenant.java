package dev.modelmux.admission.tenant;

import dev.modelmux.admission.Priority;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A tenant: who it is, how it authenticates, which models it may call and its quotas.
 *
 * <p>Validated on construction; messages name the YAML key of the offending field so the loader
 * can prefix them with the tenant's position.
 *
 * @param id 1-64 characters of {@code [A-Za-z0-9._-]}
 * @param keySha256 lower-case hex SHA-256 of each API key; never the keys themselves
 * @param models glob patterns ({@code *} any run, {@code ?} one character) of allowed model names
 * @param priority the priority class of its traffic
 * @param weight its share under weighted fair queuing, {@code > 0}
 * @param rate requests per second, {@code > 0}, or {@code 0} for unlimited
 * @param burst requests allowed at once on a full bucket, {@code >= 1}
 * @param maxInFlight requests admitted and not yet finished, {@code >= 1}
 * @param maxQueued requests waiting in its device queues, {@code >= 0}
 * @param maxRequestBytes largest request body accepted, {@code > 0}
 */
public record Tenant(
        String id,
        List<String> keySha256,
        List<String> models,
        Priority priority,
        double weight,
        double rate,
        long burst,
        int maxInFlight,
        int maxQueued,
        long maxRequestBytes) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    public Tenant {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("id must be 1-64 characters of [A-Za-z0-9._-], was "
                    + (id == null ? "missing" : "'" + abbreviate(id) + "'"));
        }
        if (keySha256 == null) {
            throw new IllegalArgumentException("key_sha256 must be a list of SHA-256 hex digests");
        }
        keySha256 = List.copyOf(keySha256);
        for (int i = 0; i < keySha256.size(); i++) {
            if (!SHA256_HEX.matcher(keySha256.get(i)).matches()) {
                throw new IllegalArgumentException(
                        "key_sha256[" + i + "] must be 64 lower-case hex digits (the SHA-256 of the key, "
                                + "e.g. `printf %s \"$KEY\" | sha256sum`)");
            }
        }
        if (keySha256.stream().distinct().count() != keySha256.size()) {
            throw new IllegalArgumentException("key_sha256 lists the same hash twice");
        }
        if (models == null || models.isEmpty()) {
            throw new IllegalArgumentException("models must list at least one glob pattern, e.g. '*'");
        }
        models = List.copyOf(models);
        for (int i = 0; i < models.size(); i++) {
            String problem = Glob.problem(models.get(i));
            if (problem != null) {
                throw new IllegalArgumentException("models[" + i + "] " + problem);
            }
        }
        if (priority == null) {
            throw new IllegalArgumentException("priority must be one of CRITICAL, DEFAULT, SHEDDABLE");
        }
        if (!(weight > 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight must be > 0, was " + weight);
        }
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("rate must be > 0 requests/s, or 0 for unlimited, was " + rate);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be >= 1, was " + burst);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("max_in_flight must be >= 1, was " + maxInFlight);
        }
        if (maxQueued < 0) {
            throw new IllegalArgumentException("max_queued must be >= 0, was " + maxQueued);
        }
        if (maxRequestBytes < 1) {
            throw new IllegalArgumentException("max_request_bytes must be > 0, was " + maxRequestBytes);
        }
    }

    /** Whether this tenant may call {@code model}: some pattern in {@link #models} matches it. */
    public boolean allows(String model) {
        if (model == null) {
            return false;
        }
        for (String pattern : models) {
            if (Glob.matches(pattern, model)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the rate quota is unlimited. */
    public boolean unlimitedRate() {
        return rate == 0;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
