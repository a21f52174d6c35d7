package dev.modelmux.node.endpoints;

import dev.modelmux.admission.Priority;
import dev.modelmux.admission.sched.Caller;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.path.InferencePath;
import io.vertx.core.Future;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Shadow traffic: after the primary has answered, a copy of (a sample of) the requests goes to the
 * endpoint's shadow version, whose answer is only logged. It never touches the response, and it is
 * the first work dropped: when this node's devices are saturated, when the endpoint already has
 * {@code max_in_flight} shadow requests running here, and in the device scheduler, which sheds it
 * first (it runs as SHEDDABLE; a copy forwarded to another node runs there at its tenant's own
 * priority). Every outcome is counted in {@code modelmux_endpoint_shadow_total}.
 */
final class ShadowTraffic {
    private final InferencePath path;
    private final BooleanSupplier saturated;
    private final EndpointMetrics metrics;
    private final LongSupplier clock;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    ShadowTraffic(InferencePath path, BooleanSupplier saturated, EndpointMetrics metrics, LongSupplier clock) {
        this.path = path;
        this.saturated = saturated;
        this.metrics = metrics;
        this.clock = clock;
    }

    /**
     * @param request builds the copy for the shadow's target (called only when it is sent)
     * @param done receives the shadow's answer
     */
    void send(
            EndpointSpec e,
            String requestId,
            Caller caller,
            Supplier<Future<InferRequest>> request,
            Consumer<InferencePath.Answer> done) {
        EndpointSpec.Shadow s = e.policy().shadow();
        if (s == null || !StableHash.sampled(e.name() + "/shadow", requestId, s.sample())) {
            return;
        }
        if (saturated.getAsBoolean()) {
            metrics.shadow(e.name(), "dropped_saturated");
            return;
        }
        AtomicInteger running = inFlight.computeIfAbsent(e.name(), k -> new AtomicInteger());
        if (running.incrementAndGet() > s.maxInFlight()) {
            running.decrementAndGet();
            metrics.shadow(e.name(), "dropped_in_flight");
            return;
        }
        metrics.shadow(e.name(), "sent");
        Caller sheddable = new Caller(caller.tenantId(), Priority.SHEDDABLE, caller.weightUnits(), caller.maxQueued());
        long start = clock.getAsLong();
        Future<InferRequest> copy;
        try {
            copy = request.get();
        } catch (RuntimeException ex) {
            copy = Future.failedFuture(ex);
        }
        copy.compose(r -> path.inferModel(r, sheddable, "shadow", start, false)).onComplete(ar -> {
            running.decrementAndGet();
            if (ar.succeeded()) {
                metrics.shadow(e.name(), "completed");
                done.accept(ar.result());
            } else {
                boolean shed = ServingException.of(ar.cause()).code() == ServingException.Code.RESOURCE_EXHAUSTED;
                metrics.shadow(e.name(), shed ? "shed" : "failed");
            }
        });
    }

    /** Shadow requests of an endpoint running from this node now. */
    int inFlight(String endpoint) {
        AtomicInteger n = inFlight.get(endpoint);
        return n == null ? 0 : n.get();
    }
}
