package dev.modelmux.node.endpoints;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Resilience4j circuit breakers of this node: one per model version and breaker configuration
 * (endpoints with the same {@code circuit_breaker} settings share it; one that sets others gets its
 * own), named {@code model:version}. Calls are recorded by hand around the asynchronous model step
 * ({@code tryAcquirePermission}, then {@code onSuccess}/{@code onError}/{@code releasePermission}),
 * so nothing here blocks or hops threads. State changes are logged from the breaker's event
 * publisher.
 */
final class Breakers {
    private static final Logger LOG = LoggerFactory.getLogger(Breakers.class);

    private record Key(EndpointSpec.TargetRef target, EndpointSpec.Breaker spec) {}

    private final Map<Key, CircuitBreaker> breakers = new ConcurrentHashMap<>();

    CircuitBreaker of(EndpointSpec.TargetRef target, EndpointSpec.Breaker spec) {
        return breakers.computeIfAbsent(new Key(target, spec), k -> create(target.toString(), spec));
    }

    /** The state of the breaker an endpoint with {@code spec} uses for {@code target}; CLOSED before its first call. */
    String state(EndpointSpec.TargetRef target, EndpointSpec.Breaker spec) {
        CircuitBreaker cb = breakers.get(new Key(target, spec));
        return cb == null ? CircuitBreaker.State.CLOSED.name() : cb.getState().name();
    }

    private static CircuitBreaker create(String name, EndpointSpec.Breaker spec) {
        CircuitBreaker cb = CircuitBreaker.of(
                name,
                CircuitBreakerConfig.custom()
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
