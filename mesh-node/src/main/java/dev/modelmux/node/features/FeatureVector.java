package dev.modelmux.node.features;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The features of one request, in the order they were asked for, each with where its value came
 * from.
 *
 * @param values        feature name to value: the stored value, or the request's default when the
 *                      lookup gave none ({@link Double#NaN} when no default was given)
 * @param sources       feature name to where its value came from; same keys as {@code values}
 * @param anyDefaulted  whether any value is a default
 * @param timedOut      whether the lookup ran out of time (some values are {@link
 *                      Source#DEFAULT_TIMEOUT})
 * @param maxAgeMillis  the age of the oldest stored or cached value served, by its write time (0
 *                      when none was)
 */
public record FeatureVector(
        Map<String, Double> values,
        Map<String, FeatureVector.Source> sources,
        boolean anyDefaulted,
        boolean timedOut,
        long maxAgeMillis) {

    /** Where one value came from. */
    public enum Source {
        /** Read from the feature store for this request. */
        STORE,
        /** From this node's cache, fetched from the store no longer ago than the request's maximum staleness. */
        CACHE,
        /** The store has no such value (or the name is not a valid feature name): the default. */
        DEFAULT_MISSING,
        /** The lookup did not answer within the request's timeout: the default. */
        DEFAULT_TIMEOUT,
        /** The lookup failed (store unavailable, overloaded): the default. */
        DEFAULT_ERROR;

        public boolean isDefault() {
            return this != STORE && this != CACHE;
        }
    }

    public FeatureVector {
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        if (!values.keySet().equals(sources.keySet())) {
            throw new IllegalArgumentException("values and sources must name the same features");
        }
        sources.values().forEach(Objects::requireNonNull);
    }
}
