package dev.modelmux.node.endpoints;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Resilience4j circuit breaker per model version on this node (named {@code model:version}),
 * configured by the endpoint that calls it; a changed configuration replaces the breaker. Calls are
 * recorded by hand around the asynchronous model step ({@code tryAcquirePermission}, then
 * {@code onSuccess}/{@code onError}/{@code releasePermission}), so nothing here blocks or hops
 * threads. State changes are logged from the breaker's event publisher.
 */
final class Breakers {
  private static final Logger LOG = LoggerFactory.getLogger(Breakers.class);

  private record Held(EndpointSpec.Breaker spec, CircuitBreaker breaker) {}

  private final Map<String, Held> breakers = new ConcurrentHashMap<>();

  CircuitBreaker of(EndpointSpec.TargetRef target, EndpointSpec.Breaker spec) {
    String name = target.toString();
    Held h = breakers.get(name);
    if (h != null && h.spec().equals(spec)) {
      return h.breaker();
    }
    return breakers.compute(name, (k, old) -> old != null && old.spec().equals(spec) ? old : new Held(spec, create(k, spec)))
        .breaker();
  }

  /** The state of every breaker, by model version. */
  Map<String, String> states() {
    Map<String, String> out = new TreeMap<>();
    breakers.forEach((k, h) -> out.put(k, h.breaker().getState().name()));
    return out;
  }

  private static CircuitBreaker create(String name, EndpointSpec.Breaker spec) {
    CircuitBreaker cb = CircuitBreaker.of(name, CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(spec.window())
        .minimumNumberOfCalls(spec.minimumCalls())
        .failureRateThreshold(spec.failureRatePercent())
        .waitDurationInOpenState(Duration.ofMillis(spec.openMs()))
        .permittedNumberOfCallsInHalfOpenState(Math.max(1, Math.min(5, spec.minimumCalls())))
        .build());
    cb.getEventPublisher().onStateTransition(e -> LOG.info("circuit breaker {}: {}", name, e.getStateTransition()));
    return cb;
  }
}
