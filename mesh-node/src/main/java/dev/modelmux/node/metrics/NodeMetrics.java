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
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The node's Prometheus metrics. Label values come from the repository (model names, versions)
 * or fixed vocabularies, never from raw request strings, so a caller cannot blow up cardinality.
 *
 * <p>Bounded by the models in use: per model only counters and a latency of a few buckets (rendered from
 * {@link ModelLatencies}, which also feeds the admin view and the capacity advice); full histograms per
 * node, device and tenant, and per model only for those {@link ModelHistograms} selects. A model's series
 * are removed once it has been idle for {@link #IDLE_NANOS} (no request, no load), or {@link
 * #UNLOAD_GRACE_NANOS} after it was unloaded (time for a last scrape), by {@link #maintain}, which the
 * node runs periodically on a worker. A request that races with its model's removal may go uncounted.
 */
public final class NodeMetrics implements PoolEvent.Listener, QueueObserver<ModelKey> {
    /** Label for requests that never resolved to a repository model. */
    public static final String UNKNOWN_MODEL = "_unknown";
    /** A model's series are removed after this long without a request or a load. */
    public static final long IDLE_NANOS = TimeUnit.MINUTES.toNanos(15);
    /** ... or this long after it was unloaded, if no request came since. */
    public static final long UNLOAD_GRACE_NANOS = TimeUnit.MINUTES.toNanos(2);

    private final MeterRegistry registry;
    private final ModelHistograms histograms;
    private final LongSupplier nanoClock;
    private final ModelLatencies latencies;
    private final ModelSeries series;
    /** Null unless {@code top:N}. */
    private final BusiestModels top;

    private volatile Set<String> busiest = Set.of();

    public NodeMetrics(MeterRegistry registry) {
        this(registry, ModelHistograms.none(), System::nanoTime);
    }

    /**
     * @param histograms which models get full latency histograms
     * @param nanoClock the clock of idle times and latency windows
     */
    public NodeMetrics(MeterRegistry registry, ModelHistograms histograms, LongSupplier nanoClock) {
        this.registry = registry;
        this.histograms = histograms;
        this.nanoClock = nanoClock;
        this.latencies = new ModelLatencies(nanoClock);
        this.series = new ModelSeries(registry, latencies::forget, IDLE_NANOS, UNLOAD_GRACE_NANOS);
        this.top = histograms.kind() == ModelHistograms.Kind.TOP ? new BusiestModels(histograms.top()) : null;
        if (registry instanceof PrometheusMeterRegistry p) {
            p.getPrometheusRegistry().register(new ModelLatencyCollector(latencies, this::fullHistograms));
        }
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** Every model version's latencies, in the node's own windows. */
    public ModelLatencies latencies() {
        return latencies;
    }

    /** Request rate and latency per model over the last minute (requests received: served or forwarded). */
    public ModelStats requestStats() {
        return new ModelStats(latencies, ModelLatencies.Phase.REQUEST);
    }

    /** Time in the runtime per model over the last minute (requests served here). */
    public ModelStats computeStats() {
        return new ModelStats(latencies, ModelLatencies.Phase.COMPUTE);
    }

    /** Whether {@code model}'s latencies are rendered with every bucket. */
    public boolean fullHistograms(String model) {
        return switch (histograms.kind()) {
            case NONE -> false;
            case LIST -> histograms.models().contains(model);
            case TOP -> busiest.contains(model);
        };
    }

    /** The models with series now (each model label, {@link #UNKNOWN_MODEL} included). */
    public Set<String> trackedModels() {
        return series.models();
    }

    /**
     * Removes the series of models idle for {@link #IDLE_NANOS} or unloaded {@link #UNLOAD_GRACE_NANOS}
     * ago, and re-evaluates the busiest models for {@code top:N}. Blocking (walks every model): run it on
     * a worker.
     */
    public synchronized void maintain() {
        series.expire(nanoClock.getAsLong());
        if (top != null) {
            busiest = top.evaluate(latencies.totals(ModelLatencies.Phase.REQUEST));
        }
    }

    private <M extends Meter> M tracked(String model, M meter, boolean use) {
        return series.tracked(model, meter, use, nanoClock.getAsLong());
    }

    private void unloaded(String model) {
        series.unloaded(model, nanoClock.getAsLong());
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

    /** A peer stopped answering a forward (its connection's PINGs): routing avoids it for a while. */
    public void peerSuspected(String peer) {
        Counter.builder("modelmux_peer_suspected_total")
                .description("Times a peer stopped answering a forward's PINGs and was avoided for a while")
                .tag("peer", peer)
                .register(registry)
                .increment();
    }

    /** A gRPC call its client reset (cancelled it, or let its deadline pass) before it was answered. */
    public void callReset(String method) {
        Counter.builder("modelmux_grpc_calls_reset_total")
                .description("gRPC calls the client reset (cancel, deadline) before they were answered")
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
        tracked(
                        model,
                        Counter.builder("modelmux_inference_requests_total")
                                .description("Inference requests by outcome")
                                .tag("protocol", protocol)
                                .tag("model", model)
                                .tag("version", version)
                                .tag("outcome", outcome)
                                .register(registry),
                        true)
                .increment();
        if ("success".equals(outcome) || "forwarded".equals(outcome)) {
            latencies.record(model, version, ModelLatencies.Phase.REQUEST, totalNanos);
        }
        if ("success".equals(outcome)) {
            latencies.record(model, version, ModelLatencies.Phase.QUEUE, queueNanos);
            latencies.record(model, version, ModelLatencies.Phase.COMPUTE, computeNanos);
        }
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

    /** Counts the requests a device dropped unrun because their caller had gone (cancelled, or a hedge's loser). */
    public Runnable cancelledCounter(String deviceId) {
        Counter c = Counter.builder("modelmux_inference_cancelled_total")
                .description("Requests not run because their caller cancelled them before they started")
                .tag("device", deviceId)
                .register(registry);
        return c::increment;
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
        tracked(
                        model,
                        Counter.builder("modelmux_tenant_admitted_total")
                                .description("Requests admitted, by tenant and model")
                                .tag("tenant", tenant)
                                .tag("model", model)
                                .register(registry),
                        true)
                .increment();
    }

    /** Refused: at the edge (unauthenticated, permission_denied, rate, in_flight, request_bytes) or by a device scheduler. */
    public void tenantRejected(String tenant, String model, String reason) {
        tracked(
                        model,
                        Counter.builder("modelmux_tenant_rejected_total")
                                .description("Requests refused, by tenant, model and reason")
                                .tag("tenant", tenant)
                                .tag("model", model)
                                .tag("reason", reason)
                                .register(registry),
                        true)
                .increment();
    }

    /** A finished request of a tenant: outcome and, for successes, latency. */
    public void tenantRequest(String tenant, String model, String outcome, long totalNanos) {
        tracked(
                        model,
                        Counter.builder("modelmux_tenant_requests_total")
                                .description("Requests answered, by tenant, model and outcome")
                                .tag("tenant", tenant)
                                .tag("model", model)
                                .tag("outcome", outcome)
                                .register(registry),
                        true)
                .increment();
        if ("success".equals(outcome)) {
            tenantTimer(
                            "modelmux_tenant_request_duration",
                            "Request latency per tenant, receipt to answer (all models)",
                            tenant)
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

    /** A tenant's histogram over all models (a model label would multiply it by the models in use). */
    private Timer tenantTimer(String name, String help, String tenant) {
        return Timer.builder(name)
                .description(help)
                .tag("tenant", tenant)
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
                tracked(
                                model.model(),
                                Counter.builder("modelmux_tenant_dispatched_total")
                                        .description("Requests that left a device's queue to run, by tenant and model")
                                        .tag("tenant", caller.tenantId())
                                        .tag("model", model.model())
                                        .register(registry),
                                true)
                        .increment();
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
        tracked(
                        model.model(),
                        Counter.builder("modelmux_tenant_dispatched_total")
                                .description("Requests that left a device's queue to run, by tenant and model")
                                .tag("tenant", caller.tenantId())
                                .tag("model", model.model())
                                .register(registry),
                        true)
                .increment();
        tenantTimer(
                        "modelmux_tenant_queue_wait",
                        "Time a request waited in its device's queue (all models)",
                        caller.tenantId())
                .record(queueWaitNanos, TimeUnit.NANOSECONDS);
        quantiles(
                        "modelmux_tenant_queue_wait_window",
                        "Queue wait per tenant over the last minutes (all models)",
                        caller.tenantId())
                .record(queueWaitNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void batch(ModelKey model, int rows, int requests) {
        tracked(
                        model.model(),
                        DistributionSummary.builder("modelmux_batch_size")
                                .description("Rows per run of a dynamically batched model")
                                .tag("model", model.model())
                                .tag("version", Long.toString(model.version()))
                                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                                .register(registry),
                        true)
                .record(rows);
        tracked(
                        model.model(),
                        DistributionSummary.builder("modelmux_batch_requests")
                                .description("Requests stacked per run of a dynamically batched model")
                                .tag("model", model.model())
                                .tag("version", Long.toString(model.version()))
                                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                                .register(registry),
                        true)
                .record(requests);
    }

    @Override
    public void on(PoolEvent event) {
        String model = event.key().model();
        String version = Long.toString(event.key().version());
        if (event instanceof PoolEvent.Loaded l) {
            count("modelmux_model_loads_total", "Model loads by outcome", model, version, "outcome", "success", true);
            tracked(
                            model,
                            Timer.builder("modelmux_model_load_duration")
                                    .description("Model load time: read, scan, session, warm-up")
                                    .tag("model", model)
                                    .register(registry),
                            true)
                    .record(l.loadNanos(), TimeUnit.NANOSECONDS);
        } else if (event instanceof PoolEvent.LoadFailed f) {
            count(
                    "modelmux_model_loads_total",
                    "Model loads by outcome",
                    model,
                    version,
                    "outcome",
                    f.kind().name().toLowerCase(Locale.ROOT),
                    true);
        } else if (event instanceof PoolEvent.Evicted e) {
            count(
                    "modelmux_model_evictions_total",
                    "Models evicted to make room",
                    model,
                    version,
                    "device",
                    e.deviceId(),
                    false);
        } else if (event instanceof PoolEvent.Unloaded u) {
            count(
                    "modelmux_model_unloads_total",
                    "Models unloaded on request",
                    model,
                    version,
                    "device",
                    u.deviceId(),
                    false);
            unloaded(model);
        }
    }

    private void count(String name, String help, String model, String version, String k, String v, boolean use) {
        tracked(
                        model,
                        Counter.builder(name)
                                .description(help)
                                .tag("model", model)
                                .tag("version", version)
                                .tag(k, v)
                                .register(registry),
                        use)
                .increment();
    }
}
