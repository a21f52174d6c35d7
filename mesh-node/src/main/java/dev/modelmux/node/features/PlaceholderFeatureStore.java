package dev.modelmux.node.features;

import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * PLACEHOLDER (branch endpoints), deleted at merge: the features-log branch brings the real store.
 * Holds no values, so every lookup misses and gives the defaults; {@link #delay} is the fault hook
 * (an artificial lookup delay; at or past the timeout the defaults are flagged as timed out).
 */
public final class PlaceholderFeatureStore implements FeatureStore {
  private final Vertx vertx;
  private volatile Duration delay = Duration.ZERO;

  public PlaceholderFeatureStore(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Delays every lookup by {@code d} (tests force timeouts with it). */
  public void delay(Duration d) {
    this.delay = d;
  }

  @Override
  public CompletionStage<FeatureVector> fetch(String entityId, List<String> refs, Map<String, Double> defaults,
      Duration timeout, Duration maxStaleness) {
    long d = delay.toMillis();
    boolean timedOut = d > 0 && d >= timeout.toMillis();
    Map<String, Double> values = new LinkedHashMap<>();
    Map<String, FeatureVector.Source> sources = new LinkedHashMap<>();
    for (String ref : refs) {
      values.put(ref, defaults.getOrDefault(ref, 0.0));
      sources.put(ref, timedOut ? FeatureVector.Source.DEFAULT_TIMEOUT : FeatureVector.Source.DEFAULT_MISSING);
    }
    FeatureVector v = new FeatureVector(values, sources, !refs.isEmpty(), timedOut, 0);
    if (d == 0) {
      return CompletableFuture.completedFuture(v);
    }
    CompletableFuture<FeatureVector> f = new CompletableFuture<>();
    vertx.setTimer(Math.max(1, Math.min(d, timeout.toMillis())), id -> f.complete(v));
    return f;
  }
}
