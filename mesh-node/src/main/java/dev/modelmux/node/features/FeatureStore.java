package dev.modelmux.node.features;

import dev.modelmux.cluster.FeatureTable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Resolves a request's feature references to values. A dependency with its own timeout and
 * fallback: a lookup never fails and never waits past its timeout; what it cannot serve it
 * replaces with the caller's default and says so per feature.
 *
 * <p><b>Threading.</b> Never blocks the caller. The stage completes on a store or timer thread;
 * callers on a Vert.x context should hop back ({@code Future.fromCompletionStage(stage, ctx)}).
 */
public interface FeatureStore {

    /**
     * The values of {@code refs} for one entity.
     *
     * @param entityId     whose features; an id outside {@link FeatureTable#NAME} gives all defaults
     * @param refs         feature names, in the order the vector keeps; repeats are read once
     * @param defaults     the value for each name when the lookup gives none (a name without one gets {@code NaN})
     * @param timeout      the longest this lookup may take; at the deadline the stage completes with
     *                     defaults for whatever has not arrived ({@link FeatureVector.Source#DEFAULT_TIMEOUT})
     * @param maxStaleness {@code 0}: read the store. Otherwise a value this node fetched no longer
     *                     than this ago may be served from its cache ({@link FeatureVector.Source#CACHE}),
     *                     and fetched values are cached
     * @return always completes normally
     */
    CompletionStage<FeatureVector> fetch(
            String entityId, List<String> refs, Map<String, Double> defaults, Duration timeout, Duration maxStaleness);
}
