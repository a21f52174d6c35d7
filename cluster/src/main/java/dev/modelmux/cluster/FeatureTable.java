package dev.modelmux.cluster;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The mesh's embedded feature store: numeric feature values per entity, shared by every node.
 * One entry per (entity, feature), so a lookup reads only the features a request names.
 *
 * <p><b>Names.</b> Entity ids and feature names match {@link #NAME}; calls with other names fail
 * with {@link IllegalArgumentException} (in the returned future), so no key can be forged from
 * two names.
 *
 * <p><b>Threading.</b> As everything in {@link MeshCluster}: each call runs on the table's
 * executor and completes there; callers never block.
 */
public interface FeatureTable {

    /** Entity ids and feature names: letters, digits, {@code _ . : -}, 1 to 128 characters. */
    Pattern NAME = Pattern.compile("[A-Za-z0-9_.:-]{1,128}");

    static boolean validName(String s) {
        return s != null && NAME.matcher(s).matches();
    }

    /**
     * The stored values of {@code features} of one entity, in one batched read; a feature that is
     * not stored is absent from the map.
     */
    CompletableFuture<Map<String, FeatureValue>> get(String entityId, Collection<String> features);

    /**
     * Writes values, stamped with this member's clock, in one batched write: entity id to (feature
     * name to value). Values must be finite. Replaces earlier values of the same features; other
     * features of an entity are kept.
     *
     * @return how many values were written
     */
    CompletableFuture<Integer> put(Map<String, Map<String, Double>> valuesByEntity);

    /**
     * Every stored feature of one entity. Scans the table (a predicate over keys on each
     * partition): for operators and tests, not for the request path.
     */
    CompletableFuture<Map<String, FeatureValue>> entity(String entityId);

    /** Whether the table holds no value at all (a start-up seeds it from a file only then). */
    CompletableFuture<Boolean> isEmpty();
}
