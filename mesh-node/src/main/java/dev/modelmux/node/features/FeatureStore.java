package dev.modelmux.node.features;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * PLACEHOLDER (branch endpoints): the signature agreed with the features-log branch, which owns
 * this type; its real version replaces this file at merge.
 *
 * <p>Fetches an entity's features. Never fails: a missing, failed or timed-out lookup gives the
 * feature's default and says so per feature; {@code maxStaleness} 0 = no cache.
 */
public interface FeatureStore {
  CompletionStage<FeatureVector> fetch(String entityId, List<String> refs, Map<String, Double> defaults, Duration timeout,
      Duration maxStaleness);
}
