package dev.modelmux.node.features;

import java.util.Map;

/**
 * PLACEHOLDER (branch endpoints): the record agreed with the features-log branch, which owns this
 * type; its real version replaces this file at merge.
 */
public record FeatureVector(Map<String, Double> values, Map<String, FeatureVector.Source> sources, boolean anyDefaulted,
    boolean timedOut, long maxAgeMillis) {

  /** Where a value came from. */
  public enum Source { STORE, CACHE, DEFAULT_MISSING, DEFAULT_TIMEOUT, DEFAULT_ERROR }
}
