package dev.modelmux.node.endpoints;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The endpoints' metrics. Label values are endpoint names of the table in force and fixed words,
 * never raw request strings.
 *
 * <ul>
 *   <li>{@code modelmux_endpoint_requests_total{endpoint, api, step}}: answers by API ({@code decide},
 *       {@code infer}) and ladder step ({@code primary}, {@code fallback}, {@code rules},
 *       {@code safe_default}; {@code error} when none answered)
 *   <li>{@code modelmux_endpoint_shadow_total{endpoint, outcome}}: shadow copies {@code sent},
 *       {@code completed}, {@code failed}, and dropped: {@code dropped_in_flight} (over the
 *       shadow's bound), {@code dropped_saturated} (the node's devices were saturated),
 *       {@code shed} (the device scheduler shed it)
 *   <li>{@code modelmux_decide_duration_seconds{endpoint}}: decision latency, features included
 *   <li>{@code modelmux_endpoint_policy_version}: the policy version in force on this node
 *   <li>{@code modelmux_prediction_log_refused_total}: records the prediction log refused (its buffer was full, or under {@code always} it could not write them: a full disk)
 * </ul>
 */
final class EndpointMetrics {
    private final MeterRegistry registry;

    EndpointMetrics(MeterRegistry registry, LongSupplier policyVersion) {
        this.registry = registry;
        Gauge.builder("modelmux_endpoint_policy_version", policyVersion, s -> s.getAsLong())
                .description("The version of the mesh's endpoints in force on this node")
                .strongReference(true)
                .register(registry);
    }

    void answered(String endpoint, String api, String step) {
        Counter.builder("modelmux_endpoint_requests_total")
                .description("Requests answered through endpoints, by ladder step")
                .tag("endpoint", endpoint)
                .tag("api", api)
                .tag("step", step)
                .register(registry)
                .increment();
    }

    void shadow(String endpoint, String outcome) {
        Counter.builder("modelmux_endpoint_shadow_total")
                .description("Shadow copies sent, completed, failed or dropped")
                .tag("endpoint", endpoint)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    double shadowCount(String endpoint, String outcome) {
        Counter c = registry.find("modelmux_endpoint_shadow_total")
                .tag("endpoint", endpoint)
                .tag("outcome", outcome)
                .counter();
        return c == null ? 0 : c.count();
    }

    void decided(String endpoint, long nanos) {
        Timer.builder("modelmux_decide_duration_seconds")
                .description("Decision latency, feature fetch included")
                .tag("endpoint", endpoint)
                .publishPercentileHistogram(false)
                .register(registry)
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void logRefused() {
        Counter.builder("modelmux_prediction_log_refused_total")
                .description("Records the prediction log refused (buffer full; under always, also a failed write)")
                .register(registry)
                .increment();
    }
}
