package dev.modelmux.node.metrics;

import dev.modelmux.admission.sched.Caller;
import dev.modelmux.admission.sched.QueueObserver;
import dev.modelmux.admission.sched.Rejection;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.PoolEvent;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's Prometheus metrics. Label values come from the repository (model names, versions)
 * or fixed vocabularies, never from raw request strings, so a caller cannot blow up cardinality.
 */
public final class NodeMetrics implements PoolEvent.Listener, QueueObserver<ModelKey> {
    /** Label for requests that never resolved to a repository model. */
    public static final String UNKNOWN_MODEL = "_unknown";

    private final MeterRegistry registry;

    public NodeMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Gauges over the pool's ledgers; read at scrape time. */
    public void bindPool(DevicePool pool) {
        for (DeviceSpec d : pool.devices()) {
            deviceGauge(
                    pool,
                    d,
                    "modelmux_device_memory_capacity_bytes",
                    "Memory budget of the device",
                    s -> s.spec().capacityBytes());
            deviceGauge(
                    pool,
                    d,
                    "modelmux_device_memory_used_bytes",
                    "Memory used by resident models",
                    DeviceSnapshot::usedBytes);
            deviceGauge(
                    pool,
                    d,
                    "modelmux_device_memory_reserved_bytes",
                    "Memory reserved for loads in flight",
                    DeviceSnapshot::reservedBytes);
            deviceGauge(
                    pool,
                    d,
                    "modelmux_models_loaded",
                    "Model versions resident on the device",
                    s -> s.residents().stream()
                            .filter(r -> r.state() == DeviceSnapshot.State.READY)
                            .count());
        }
    }

    private void deviceGauge(
            DevicePool pool, DeviceSpec d, String name, String help, ToDoubleFunction<DeviceSnapshot> f) {
        Gauge.builder(
                        name,
                        pool,
                        p -> p.snapshot().stream()
                                .filter(s -> s.spec().id().equals(d.id()))
                                .findFirst()
                                .map(f::applyAsDouble)
                                .orElse(Double.NaN))
                .description(help)
                .tag("device", d.id())
                .tag("kind", d.kind().name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    /**
     * The repository's health: {@code modelmux_repository_stale_models} (models served from their last
     * good view because the repository could not be read) and {@code modelmux_repository_errors_total{kind}},
     * registered at zero for every kind so that alerts see the series before the first error.
     */
    public void bindRepository(IntSupplier staleModels, List<String> errorKinds) {
        Gauge.builder("modelmux_repository_stale_models", staleModels, s -> s.getAsInt())
                .description("Models served from their last good view because the repository could not be read")
                .strongReference(true) // the supplier is a method reference nobody else holds
                .register(registry);
        errorKinds.forEach(k -> repositoryErrorCounter(k));
    }

    /** A repository read that failed: {@code listing}, {@code empty_listing}, {@code model_scan}, {@code artifact_read}. */
    public void repositoryError(String kind) {
        repositoryErrorCounter(kind).increment();
    }

    private Counter repositoryErrorCounter(String kind) {
        return Counter.builder("modelmux_repository_errors_total")
                .description("Repository reads that failed, by what was read")
                .tag("kind", kind)
                .register(registry);
    }

    /**
     * Counts hedged forwards: {@code modelmux_forward_hedges_total{outcome="sent"}} for each second
     * call sent to another holder, {@code outcome="won"} for each that answered first.
     */
    public void hedge(String outcome) {
        hedges(outcome).increment();
    }

    private Counter hedges(String outcome) {
        return Counter.builder("modelmux_forward_hedges_total")
                .description("Forwards hedged to a second READY holder (sent), and hedges that answered first (won)")
                .tag("outcome", outcome)
                .register(registry);
    }

    /** A gRPC request message that could not be decoded (answered INVALID_ARGUMENT at once). */
    public void undecodable(String method) {
        Counter.builder("modelmux_grpc_undecodable_messages_total")
                .description("gRPC request messages that could not be decoded, answered INVALID_ARGUMENT")
                .tag("method", method)
                .register(registry)
                .increment();
    }

    /**
     * A call that claimed to be a hop from another node and was refused ({@code reason}: bad_tag, stale,
     * replay, replay_cache_full).
     */
    public void hopRefused(String reason) {
        Counter.builder("modelmux_hop_refused_total")
                .description("Calls claiming to be forwarded by a node of the mesh that were refused, by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** A change of the TLS files: {@code applied} (in force for new connections) or {@code refused} (kept out). */
    public void tlsReload(String outcome) {
        Counter.builder("modelmux_tls_reloads_total")
                .description(
                        "Changes of the TLS files seen, by outcome: applied, or refused (the previous stay in force)")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    /** When the certificate in force expires, in seconds since the epoch (alert well before it). */
    public void bindTlsExpiry(DoubleSupplier notAfterEpochSeconds) {
        Gauge.builder("modelmux_tls_certificate_expiry_seconds", notAfterEpochSeconds, s -> s.getAsDouble())
                .description("Expiry of the node's TLS certificate in force, seconds since the epoch")
                .strongReference(true)
                .register(registry);
    }

    /** One finished request. */
    public void request(
            String protocol,
            String model,
            String version,
            String outcome,
            long totalNanos,
            long queueNanos,
            long computeNanos) {
        Counter.builder("modelmux_inference_requests_total")
                .description("Inference requests by outcome")
                .tag("protocol", protocol)
                .tag("model", model)
                .tag("version", version)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        if ("success".equals(outcome) || "forwarded".equals(outcome)) {
            timer("modelmux_inference_request_duration", "Request latency, receipt to answer", model, version)
                    .record(totalNanos, TimeUnit.NANOSECONDS);
        }
        if ("success".equals(outcome)) {
            timer("modelmux_inference_queue_duration", "Time waiting for a device thread", model, version)
                    .record(queueNanos, TimeUnit.NANOSECONDS);
            timer("modelmux_inference_compute_duration", "Time in the runtime", model, version)
                    .record(computeNanos, TimeUnit.NANOSECONDS);
        }
    }

    private Timer timer(String name, String help, String model, String version) {
        return Timer.builder(name)
                .description(help)
                .tag("model", model)
                .tag("version", version)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    /** Gauges over one device's scheduler: the signals an autoscaler reads. */
    public void bindScheduler(String deviceId, IntSupplier queued, IntSupplier inFlight, IntSupplier limit) {
        Gauge.builder("modelmux_device_queue_depth", queued, q -> q.getAsInt())
                .strongReference(true)
                .description("Requests waiting for the device (fair queue and batchers)")
                .tag("device", deviceId)
                .register(registry);
        Gauge.builder("modelmux_device_in_flight", inFlight, q -> q.getAsInt())
                .strongReference(true)
                .description("Units of work (requests or batches) running on the device")
                .tag("device", deviceId)
                .register(registry);
        Gauge.builder("modelmux_device_concurrency_limit", limit, q -> q.getAsInt())
                .strongReference(true)
                .description("Adaptive concurrency limit of the device")
                .tag("device", deviceId)
                .register(registry);
    }

    /** A node-wide gauge of requests received and not yet answered. */
    public void bindInFlight(IntSupplier inFlight) {
        Gauge.builder("modelmux_requests_in_flight", inFlight, q -> q.getAsInt())
                .strongReference(true)
                .description("Requests received by this node and not yet answered")
                .register(registry);
    }

    /** Admitted at the edge. */
    public void admitted(String tenant, String model) {
        Counter.builder("modelmux_tenant_admitted_total")
                .description("Requests admitted, by tenant and model")
                .tag("tenant", tenant)
                .tag("model", model)
                .register(registry)
                .increment();
    }

    /** Refused: at the edge (unauthenticated, permission_denied, rate, in_flight, request_bytes) or by a device scheduler. */
    public void tenantRejected(String tenant, String model, String reason) {
        Counter.builder("modelmux_tenant_rejected_total")
                .description("Requests refused, by tenant, model and reason")
                .tag("tenant", tenant)
                .tag("model", model)
                .tag("reason", reason)
                .register(registry)
                .increment();
    }

    /** A finished request of a tenant: outcome and, for successes, latency. */
    public void tenantRequest(String tenant, String model, String outcome, long totalNanos) {
        Counter.builder("modelmux_tenant_requests_total")
                .description("Requests answered, by tenant, model and outcome")
                .tag("tenant", tenant)
                .tag("model", model)
                .tag("outcome", outcome)
                .register(registry)
                .increment();
        if ("success".equals(outcome)) {
            tenantTimer(
                            "modelmux_tenant_request_duration",
                            "Request latency per tenant, receipt to answer",
                            tenant,
                            model)
                    .record(totalNanos, TimeUnit.NANOSECONDS);
            quantiles(
                            "modelmux_tenant_latency",
                            "Request latency per tenant over the last minutes (all models)",
                            tenant)
                    .record(totalNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** A per-tenant timer with p50 and p99 over a sliding window of a few minutes (for the admin view). */
    private Timer quantiles(String name, String help, String tenant) {
        return Timer.builder(name)
                .description(help)
                .tag("tenant", tenant)
                .publishPercentiles(0.5, 0.99)
                .distributionStatisticExpiry(Duration.ofMinutes(1))
                .distributionStatisticBufferLength(3)
                .register(registry);
    }

    /** What this node saw of one tenant recently, for {@code GET /api/v1/tenants}. */
    public record TenantUsage(
            double p50Millis, double p99Millis, double queueWaitP99Millis, Map<String, Long> refusedByReason) {}

    public TenantUsage tenantUsage(String tenant) {
        double[] lat = percentiles(
                registry.find("modelmux_tenant_latency").tag("tenant", tenant).timer());
        double[] wait = percentiles(registry.find("modelmux_tenant_queue_wait_window")
                .tag("tenant", tenant)
                .timer());
        Map<String, Long> refused = new TreeMap<>();
        for (Counter c : registry.find("modelmux_tenant_rejected_total")
                .tag("tenant", tenant)
                .counters()) {
            refused.merge(c.getId().getTag("reason"), (long) c.count(), Long::sum);
        }
        return new TenantUsage(lat[0], lat[1], wait[1], refused);
    }

    private static double[] percentiles(Timer t) {
        double[] out = {Double.NaN, Double.NaN};
        if (t == null) {
            return out;
        }
        for (ValueAtPercentile v : t.takeSnapshot().percentileValues()) {
            if (v.percentile() == 0.5) {
                out[0] = v.value(TimeUnit.MILLISECONDS);
            } else if (v.percentile() == 0.99) {
                out[1] = v.value(TimeUnit.MILLISECONDS);
            }
        }
        return out;
    }

    private Timer tenantTimer(String name, String help, String tenant, String model) {
        return Timer.builder(name)
                .description(help)
                .tag("tenant", tenant)
                .tag("model", model)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    /** The observer of one device's scheduler: the per-tenant figures, plus the device's queue wait. */
    public QueueObserver<ModelKey> forDevice(String deviceId) {
        Timer wait = Timer.builder("modelmux_device_queue_wait")
                .description("Time a request waited in the device's queue, all tenants and models")
                .tag("device", deviceId)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
        return new QueueObserver<>() {
            @Override
            public void rejected(Caller caller, ModelKey model, Rejection reason) {
                NodeMetrics.this.rejected(caller, model, reason);
            }

            @Override
            public void dispatched(Caller caller, ModelKey model, long queueWaitNanos) {
                NodeMetrics.this.dispatched(caller, model, queueWaitNanos);
                wait.record(queueWaitNanos, TimeUnit.NANOSECONDS);
            }

            @Override
            public void batch(ModelKey model, int rows, int requests) {
                NodeMetrics.this.batch(model, rows, requests);
            }
        };
    }

    @Override
    public void rejected(Caller caller, ModelKey model, Rejection reason) {
        tenantRejected(caller.tenantId(), model.model(), reason.label());
    }

    @Override
    public void dispatched(Caller caller, ModelKey model, long queueWaitNanos) {
        tenantTimer(
                        "modelmux_tenant_queue_wait",
                        "Time a request waited in its device's queue",
                        caller.tenantId(),
                        model.model())
                .record(queueWaitNanos, TimeUnit.NANOSECONDS);
        quantiles(
                        "modelmux_tenant_queue_wait_window",
                        "Queue wait per tenant over the last minutes (all models)",
                        caller.tenantId())
                .record(queueWaitNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void batch(ModelKey model, int rows, int requests) {
        DistributionSummary.builder("modelmux_batch_size")
                .description("Rows per run of a dynamically batched model")
                .tag("model", model.model())
                .tag("version", Long.toString(model.version()))
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                .register(registry)
                .record(rows);
        DistributionSummary.builder("modelmux_batch_requests")
                .description("Requests stacked per run of a dynamically batched model")
                .tag("model", model.model())
                .tag("version", Long.toString(model.version()))
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                .register(registry)
                .record(requests);
    }

    @Override
    public void on(PoolEvent event) {
        String model = event.key().model();
        String version = Long.toString(event.key().version());
        if (event instanceof PoolEvent.Loaded l) {
            count("modelmux_model_loads_total", "Model loads by outcome", model, version, "outcome", "success");
            Timer.builder("modelmux_model_load_duration")
                    .description("Model load time: read, scan, session, warm-up")
                    .tag("model", model)
                    .register(registry)
                    .record(l.loadNanos(), TimeUnit.NANOSECONDS);
        } else if (event instanceof PoolEvent.LoadFailed f) {
            count(
                    "modelmux_model_loads_total",
                    "Model loads by outcome",
                    model,
                    version,
                    "outcome",
                    f.kind().name().toLowerCase(Locale.ROOT));
        } else if (event instanceof PoolEvent.Evicted e) {
            count(
                    "modelmux_model_evictions_total",
                    "Models evicted to make room",
                    model,
                    version,
                    "device",
                    e.deviceId());
        } else if (event instanceof PoolEvent.Unloaded u) {
            count("modelmux_model_unloads_total", "Models unloaded on request", model, version, "device", u.deviceId());
        }
    }

    private void count(String name, String help, String model, String version, String k, String v) {
        Counter.builder(name)
                .description(help)
                .tag("model", model)
                .tag("version", version)
                .tag(k, v)
                .register(registry)
                .increment();
    }
}
