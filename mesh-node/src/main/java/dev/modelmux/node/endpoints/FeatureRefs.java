package dev.modelmux.node.endpoints;

import dev.modelmux.cluster.FeatureTable;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.repo.ModelNames;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A decision request's {@code feature_refs}, in either of the contract's forms: a list of the
 * endpoint's feature names to look up under the request's {@code entity_id} (empty: all of them), or an
 * object that names, per feature group or feature, the key to look it up under
 * ({@code {"user": "user-42", "merchant": "m-7"}}; empty: the endpoint's defaults). A feature's group is
 * its name up to the first dot ({@code user.txn_count} is in {@code user}); a feature's own entry wins
 * over its group's; a feature neither names is looked up under {@code entity_id}.
 *
 * @param names the list form; empty for all of the endpoint's features
 * @param keys the object form; empty when the list form (or nothing) was sent
 */
public record FeatureRefs(List<String> names, Map<String, String> keys) {
    static final int MAX_KEYS = 64;

    public FeatureRefs {
        names = List.copyOf(names);
        keys = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(keys));
    }

    public static final FeatureRefs ALL = new FeatureRefs(List.of(), Map.of());

    public static FeatureRefs of(List<String> names) {
        return new FeatureRefs(names, Map.of());
    }

    /** The object form, checked: at most {@value #MAX_KEYS} entries, keys that are valid entity ids. */
    public static FeatureRefs keyed(Map<String, String> keys) {
        if (keys.size() > MAX_KEYS) {
            throw ServingException.invalid("feature_refs: at most " + MAX_KEYS + " entries, got " + keys.size());
        }
        keys.forEach((ref, key) -> {
            if (!FeatureTable.validName(key)) {
                throw ServingException.invalid("feature_refs: the key for '" + ModelNames.printable(ref)
                        + "' must be 1-128 letters, digits, '_', '.', ':' or '-'");
            }
        });
        return new FeatureRefs(List.of(), keys);
    }

    /**
     * Which key each of {@code features} (the endpoint's, or the ones asked for) is looked up under.
     *
     * @throws ServingException INVALID_ARGUMENT for an entry that is neither a feature nor a group of them
     */
    Map<String, List<String>> lookups(
            String entityId, List<String> features, List<String> endpointFeatures, String endpoint) {
        for (String ref : keys.keySet()) {
            boolean known =
                    endpointFeatures.contains(ref) || endpointFeatures.stream().anyMatch(f -> group(f).equals(ref));
            if (!known) {
                throw ServingException.invalid("feature_refs: '" + ModelNames.printable(ref)
                        + "' is neither a feature nor a feature group of endpoint '" + endpoint + "' (its features: "
                        + endpointFeatures + ")");
            }
        }
        Map<String, List<String>> byKey = new LinkedHashMap<>();
        for (String f : features) {
            String key = keys.getOrDefault(f, keys.getOrDefault(group(f), entityId));
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
        }
        return byKey;
    }

    static String group(String feature) {
        int dot = feature.indexOf('.');
        return dot < 0 ? feature : feature.substring(0, dot);
    }
}
