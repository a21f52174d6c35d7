package dev.modelmux.node.predlog;

import java.util.Map;

/**
 * PLACEHOLDER (branch endpoints): the record agreed with the features-log branch, which owns this
 * type; its real version replaces this file at merge.
 */
public record PredictionRecord(String kind, String requestId, String tenant, String endpoint, String model, long version,
    long policyVersion, Map<String, Object> features, Object output, Double score, String decision, long latencyMicros,
    String ladderStep, boolean fallbackUsed, long atMillis) {}
