package dev.modelmux.node.endpoints;

import dev.modelmux.node.features.FeatureStore;
import dev.modelmux.node.mesh.MeshLoader;
import dev.modelmux.node.path.DeviceSchedulers;
import dev.modelmux.node.path.InferencePath;
import dev.modelmux.node.predlog.PredictionLog;
import dev.modelmux.node.predlog.PredictionRecord;
import dev.modelmux.node.protocol.ApiContext;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.grpc.server.GrpcServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Endpoints, traffic policies and the decision API on one node: the shared endpoints document
 * ({@link EndpointSync}), its admin API ({@link EndpointsAdmin}), the decision API ({@link
 * DecideApi}) and ModelInfer through an endpoint's name ({@link EndpointInference}). {@link
 * #create} wires them; the node mounts the routes, binds the gRPC service, hands {@link #router()}
 * to its inference path and calls {@link #start} before it serves.
 */
public final class Endpoints {
    private final Vertx vertx;
    private final EndpointSync sync;
    private final Promotion promotion;
    private final EndpointsAdmin admin;
    private final DecideApi decide;
    private final EndpointInference inference;
    private final RecordSink sink;
    private final EndpointMetrics metrics;
    private final ShadowTraffic shadow;

    private Endpoints(
            Vertx vertx,
            EndpointSync sync,
            Promotion promotion,
            EndpointsAdmin admin,
            DecideApi decide,
            EndpointInference inference,
            RecordSink sink,
            EndpointMetrics metrics,
            ShadowTraffic shadow) {
        this.vertx = vertx;
        this.sync = sync;
        this.promotion = promotion;
        this.admin = admin;
        this.decide = decide;
        this.inference = inference;
        this.sink = sink;
        this.metrics = metrics;
        this.shadow = shadow;
    }

    /**
     * @param api what the node's front ends share (models, inference path, admin token, tenants, mesh)
     * @param loader how a model version is made READY somewhere in the mesh
     */
    public static Endpoints create(
            Vertx vertx,
            ApiContext api,
            MeshLoader loader,
            DeviceSchedulers schedulers,
            FeatureStore features,
            PredictionLog log,
            MeterRegistry registry) {
        LongSupplier clock = api.nanoClock();
        EndpointSync sync = new EndpointSync(vertx, api.cluster().cluster().documents());
        EndpointMetrics metrics =
                new EndpointMetrics(registry, () -> sync.table().version());
        Breakers breakers = new Breakers();
        ModelStep steps = new ModelStep(api.path(), api.models(), breakers, new RecentLatency(), clock);
        sync.onChange(t -> steps.invalidate());
        ShadowTraffic shadow = new ShadowTraffic(api.path(), schedulers::saturated, metrics, clock);
        RecordSink sink = new RecordSink(log, metrics);
        Promotion promotion = new Promotion(api.models(), loader);
        DecisionService decisions = new DecisionService(vertx, sync, features, steps, shadow, sink, metrics, clock);
        return new Endpoints(
                vertx,
                sync,
                promotion,
                new EndpointsAdmin(vertx, api.admin(), sync, promotion, breakers),
                new DecideApi(decisions, api.tenants(), clock, api.metrics()::undecodable),
                new EndpointInference(sync, api.path(), shadow, sink, metrics, clock),
                sink,
                metrics,
                shadow);
    }

    /**
     * Follows the mesh's endpoints and settles what is in force; completes once it is. With a file:
     * published as policy version 1 (after the promotion gate and the loads) unless the mesh has
     * endpoints already, in which case the mesh's win. A file that cannot be read, or whose endpoints
     * are refused, fails the start with the reason.
     */
    public Future<Void> start(Optional<Path> file) {
        Optional<List<EndpointSpec>> specs;
        try {
            specs = file.map(f -> {
                try {
                    return EndpointsLoader.load(f);
                } catch (IOException e) {
                    throw new IllegalArgumentException("endpoints: cannot read " + f + ": " + e.getMessage());
                }
            });
        } catch (IllegalArgumentException e) {
            return Future.failedFuture(e);
        }
        return sync.start(file.map(f -> f.getFileName().toString()), specs, list -> {
            List<Future<EndpointSpec>> all = list.stream().map(promotion::admit).toList();
            return Future.join(all).transform(ar -> {
                for (Future<EndpointSpec> f : all) {
                    if (f.failed()) {
                        return Future.failedFuture(new IllegalArgumentException(
                                "endpoints: " + f.cause().getMessage()));
                    }
                }
                return Future.succeededFuture(all.stream().map(Future::result).toList());
            });
        });
    }

    /** Mounts {@code /api/v1/endpoints} and {@code /api/v1/decide}. */
    public void mount(Router web) {
        admin.mount(web);
        decide.mount(web);
    }

    /** Binds {@code modelmux.v1.Decisions}. */
    public void bind(GrpcServer grpc) {
        decide.bind(grpc);
    }

    /** Resolves ModelInfer requests that name an endpoint. */
    public InferencePath.EndpointRouter router() {
        return inference;
    }

    /** The endpoints in force on this node. */
    public EndpointTable table() {
        return sync.table();
    }

    /** Whether {@code name} is an endpoint in force here. */
    public boolean knows(String name) {
        return sync.table().has(name);
    }

    /** Also hands every record written to the prediction log to {@code listener} (tests, tools). */
    public void onRecord(Consumer<PredictionRecord> listener) {
        sink.listen(listener);
    }

    /** Shadow requests of an endpoint running from this node now. */
    public int shadowInFlight(String endpoint) {
        return shadow.inFlight(endpoint);
    }

    /**
     * The share of traffic that endpoints send to {@code model} on top of its primary version (for
     * capacity planning): per endpoint naming the model, the weights of its non-primary targets of
     * that model (a canary's or challenger's) plus its shadow's sample when the shadow is that model,
     * summed over endpoints; empty when no endpoint names the model. The primary is the target taking
     * most traffic (the active colour, the single target, the segment default).
     */
    public OptionalDouble extraTrafficShare(String model) {
        return extraTrafficShare(sync.table(), model);
    }

    static OptionalDouble extraTrafficShare(EndpointTable table, String model) {
        boolean named = false;
        double extra = 0;
        for (EndpointDocument.Entry entry : table.list()) {
            EndpointSpec e = entry.spec();
            if (e.allTargets().stream().noneMatch(t -> t.model().equals(model))) {
                continue;
            }
            named = true;
            EndpointSpec.Policy p = e.policy();
            if (p.type() == EndpointSpec.PolicyType.CANARY || p.type() == EndpointSpec.PolicyType.CHAMPION_CHALLENGER) {
                EndpointSpec.Target primary = p.targets().stream()
                        .max(Comparator.comparingInt(EndpointSpec.Target::weight))
                        .orElseThrow();
                for (EndpointSpec.Target t : p.targets()) {
                    if (t != primary && t.ref().model().equals(model)) {
                        extra += t.weight() / 100.0;
                    }
                }
            }
            if (p.shadow() != null && p.shadow().target().model().equals(model)) {
                extra += p.shadow().sample();
            }
        }
        return named ? OptionalDouble.of(extra) : OptionalDouble.empty();
    }

    public void close() {
        sync.close();
    }
}
