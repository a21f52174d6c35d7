package dev.modelmux.node;

import dev.modelmux.admission.tenant.Admission;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.cluster.Copy;
import dev.modelmux.cluster.ModelKey;
import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.PoolConfig;
import dev.modelmux.node.admin.MeshAdmin;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.endpoints.Endpoints;
import dev.modelmux.node.features.FeatureStore;
import dev.modelmux.node.features.internal.FeatureSeed;
import dev.modelmux.node.features.internal.FeaturesAdmin;
import dev.modelmux.node.features.internal.TableFeatureStore;
import dev.modelmux.node.mesh.Advertised;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.CostAwareVictims;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.mesh.MeshController;
import dev.modelmux.node.mesh.MeshLoader;
import dev.modelmux.node.mesh.Operators;
import dev.modelmux.node.mesh.ScaleIn;
import dev.modelmux.node.mesh.TenantPolicySync;
import dev.modelmux.node.metrics.InferStats;
import dev.modelmux.node.metrics.NodeMetrics;
import dev.modelmux.node.path.DeviceSchedulers;
import dev.modelmux.node.path.EdgeAdmission;
import dev.modelmux.node.path.HedgePolicy;
import dev.modelmux.node.path.HedgedForward;
import dev.modelmux.node.path.InferencePath;
import dev.modelmux.node.path.Router;
import dev.modelmux.node.predlog.PredictionLog;
import dev.modelmux.node.predlog.internal.FilePredictionLog;
import dev.modelmux.node.predlog.internal.LabelLog;
import dev.modelmux.node.predlog.internal.LabelsApi;
import dev.modelmux.node.protocol.ApiContext;
import dev.modelmux.node.protocol.ClientCertGate;
import dev.modelmux.node.protocol.GrpcApi;
import dev.modelmux.node.protocol.GrpcCodec;
import dev.modelmux.node.protocol.JsonCodec;
import dev.modelmux.node.protocol.Listeners;
import dev.modelmux.node.protocol.MetricsEndpoint;
import dev.modelmux.node.protocol.Offload;
import dev.modelmux.node.protocol.RestApi;
import dev.modelmux.node.protocol.ServerInfo;
import dev.modelmux.node.security.AdminAuth;
import dev.modelmux.node.security.HopAuth;
import dev.modelmux.node.security.HopSigner;
import dev.modelmux.node.security.ReplayCache;
import dev.modelmux.node.security.TlsMaterial;
import dev.modelmux.node.security.TlsReloader;
import dev.modelmux.node.tensors.TensorLimits;
import dev.modelmux.placement.CopyScaler;
import dev.modelmux.repo.ModelRepository;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One modelmux node: the repository, the device pool, the catalog, and the gRPC and REST
 * servers. {@link #start} brings it up on its own Vert.x instance; {@link #close} stops
 * accepting, lets in-flight requests finish (up to the shutdown grace), closes sessions.
 */
public final class MeshNode {
    private static final Logger LOG = LoggerFactory.getLogger(MeshNode.class);
    public static final String NAME = "modelmux";
    public static final String VERSION = "0.1.0";

    private final Vertx vertx;
    private final NodeConfig config;
    private final ModelRepository repo;
    private final DevicePool pool;
    private volatile boolean runtimeQuiescent;
    private final ModelManager models;
    private final WorkerExecutor repoWorker;
    private final WorkerExecutor codecWorker;
    private final PrometheusMeterRegistry prometheus;
    private final NodeMetrics metrics;
    private final AtomicBoolean ready = new AtomicBoolean();
    private final String adminToken;
    private final boolean adminTokenGenerated;
    private final ClusterLink link;
    private final Operators operators;
    private MeshAdmin adminApi;
    private ScaleIn scaleIn;
    private MeshController controller;
    private TenantPolicySync tenantSync;
    private final EdgeAdmission tenants;
    private final Forwarder forwarder;
    /** The key of forward hops' tags, derived from the cluster secret (which itself never goes on the wire). */
    private final byte[] hopKey;

    private DeviceSchedulers schedulers;
    private TableFeatureStore featureStore;
    private FilePredictionLog predictionLog;
    private LabelLog labelLog;
    private Endpoints endpoints;
    /** Connections idle this long are closed (a client reconnects when it next calls). */
    static final int GRPC_IDLE_TIMEOUT_SECONDS = 300;

    static final int HTTP_IDLE_TIMEOUT_SECONDS = 60;
    /** Concurrent calls per HTTP/2 connection (HTTP/2's recommended minimum and gRPC servers' usual default). */
    static final long MAX_CONCURRENT_STREAMS = 100;

    /** The TLS material the node started with (empty: plain text); {@link #tlsReloader} holds the one in force. */
    private final Optional<TlsMaterial> tls;

    private TlsReloader tlsReloader;
    private Listeners grpcServer;
    private Listeners httpServer;
    /** Null unless metrics have a port of their own. */
    private Listeners metricsServer;

    private long pollTimer = -1;
    private long metricsTimer = -1;
    /** How often idle models' series are removed and the busiest models re-evaluated. */
    static final long METRICS_MAINTENANCE_MS = 60_000;

    private MeshNode(Vertx vertx, NodeConfig config, NodeBootstrap boot, ClusterLink link) {
        this.vertx = vertx;
        this.prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        this.metrics = new NodeMetrics(prometheus, config.serving().modelHistograms(), System::nanoTime);
        this.tenants = new EdgeAdmission(
                Admission.create(boot.tenantPolicy(), System.nanoTime()), System::nanoTime, metrics, this::knows);
        this.link = link;
        link.bindMetrics(prometheus);
        this.operators = new Operators(vertx, link);
        // One node alone still needs a key for its (unused) forward channel; a mesh shares one.
        this.hopKey = config.clusterSecret()
                .map(ClusterSecret::of)
                .orElseGet(ClusterSecret::random)
                .hopKey();
        this.tls = boot.tls();
        this.forwarder = new Forwarder(
                vertx,
                new HopSigner(hopKey, System::currentTimeMillis, new SecureRandom()),
                config.maxMessageBytes(),
                tls.map(TlsMaterial::client),
                peer -> metrics.peerSuspected(peer));
        this.config = config;
        this.repo = boot.repo();
        this.adminToken = boot.adminToken();
        this.adminTokenGenerated = boot.adminTokenGenerated();
        this.pool = DevicePool.create(
                new PoolConfig(boot.devices(), config.footprintFactor(), config.intraOpThreads(), 0L),
                System::nanoTime,
                event -> {
                    metrics.on(event);
                    link.on(event);
                    operators.on(event);
                },
                new CostAwareVictims());
        metrics.bindPool(pool);
        this.repoWorker = vertx.createSharedWorkerExecutor("modelmux-repo", 2);
        this.codecWorker = vertx.createSharedWorkerExecutor(
                "modelmux-codec", Math.max(2, Runtime.getRuntime().availableProcessors()));
        this.models = new ModelManager(vertx, repo, pool, repoWorker, config.modelControl(), config.footprintFactor());
        models.repositoryErrors(metrics::repositoryError);
        metrics.bindRepository(models::staleModels, ModelManager.repositoryErrorKinds());
    }

    private boolean knows(String model) {
        return models != null && models.knows(model) || endpoints != null && endpoints.knows(model);
    }

    /** Starts a node; fails with a message naming the problem (bad repository, port in use). */
    public static Future<MeshNode> start(NodeConfig config) {
        Vertx vertx = Vertx.vertx();
        return vertx.executeBlocking(() -> NodeBootstrap.prepare(vertx, config, MeshNode::generateToken))
                .compose(boot -> ClusterLink.join(vertx, config.cluster(), config.clusterSecret())
                        .compose(link -> {
                            MeshNode node = new MeshNode(vertx, config, boot, link);
                            return node.startServers()
                                    .map(node)
                                    .recover(t -> link.close().transform(ar -> Future.failedFuture(t)));
                        }))
                .recover(t -> {
                    // Report the failure now: Vert.x's close completes on one of its own event loops, which by
                    // then may be terminated, so a listener on it may never run (the start would hang).
                    vertx.close();
                    return Future.failedFuture(t);
                });
    }

    private Future<Void> startServers() {
        TensorLimits limits = new TensorLimits(config.maxMessageBytes(), config.maxTensorElements(), 16);
        ServerInfo info = new ServerInfo(NAME, VERSION, ServerInfo.EXTENSIONS);
        AdminAuth admin = new AdminAuth(adminToken);
        Router router = new Router(
                link,
                models,
                pool,
                forwarder,
                System::nanoTime,
                HedgePolicy.defaults(),
                (delayNanos, task) -> {
                    long id = vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos)), t -> task.run());
                    return () -> vertx.cancelTimer(id);
                },
                new HedgedForward.Counters() {
                    @Override
                    public void sent(String model) {
                        metrics.hedge("sent");
                    }

                    @Override
                    public void won(String model) {
                        metrics.hedge("won");
                    }
                });
        schedulers = new DeviceSchedulers(pool, System::nanoTime, metrics);
        InferStats stats = new InferStats(System::currentTimeMillis);
        pool.executions(stats);
        InferencePath path = new InferencePath(vertx, models, metrics, System::nanoTime, router, schedulers);
        path.stats(stats);

        GrpcServer grpc = GrpcServer.server(
                vertx,
                new GrpcServerOptions()
                        .setMaxMessageSize(config.maxMessageBytes())
                        .setScheduleDeadlineAutomatically(true));
        ApiContext api = new ApiContext(
                info,
                models,
                path,
                admin,
                System::nanoTime,
                ready::get,
                new Offload(codecWorker),
                link,
                tenants,
                metrics,
                config.serving().readiness(),
                stats,
                forwarder);
        HopAuth hops = new HopAuth(
                hopKey,
                System::currentTimeMillis,
                new ReplayCache(HopAuth.MAX_SKEW.toMillis(), ReplayCache.DEFAULT_CAPACITY),
                r -> metrics.hopRefused(r.label()));
        new GrpcApi(api, new GrpcCodec(limits), hops).bind(grpc);
        RestApi rest = new RestApi(api, new JsonCodec(limits), prometheus, config.maxMessageBytes());
        io.vertx.ext.web.Router web = rest.router(vertx);
        MetricsEndpoint metricsEndpoint = new MetricsEndpoint(
                vertx,
                prometheus,
                config.serving().metricsToken(),
                admin,
                () -> !tenants.admission().policy().isOpen());
        if (config.serving().metricsPort().isEmpty()) {
            metricsEndpoint.mount(web, false);
        }
        tenantSync = new TenantPolicySync(vertx, link.cluster().documents(), tenants.admission(), System::nanoTime);
        adminApi = new MeshAdmin(
                vertx,
                admin,
                new MeshAdmin.Parts(
                        link,
                        models,
                        operators,
                        forwarder,
                        tenants.admission(),
                        tenantSync,
                        metrics,
                        schedulers::batching));
        featureStore = TableFeatureStore.create(link.cluster(), vertx, config.features(), prometheus);
        predictionLog = FilePredictionLog.create(
                config.dataDir().resolve("predictions"), config.predictionLog(), prometheus, System::currentTimeMillis);
        labelLog = LabelLog.create(
                config.dataDir().resolve("labels"), config.predictionLog(), prometheus, System::currentTimeMillis);
        new FeaturesAdmin(vertx, admin, featureStore.table(), System::currentTimeMillis).mount(web);
        new LabelsApi(vertx, admin, labelLog, System::currentTimeMillis).mount(web);

        endpoints = Endpoints.create(
                vertx,
                api,
                new MeshLoader(link, models, forwarder),
                schedulers,
                featureStore,
                predictionLog,
                prometheus);
        endpoints.mount(web);
        endpoints.bind(grpc);
        path.endpoints(endpoints.router());
        adminApi.capacity()
                .trafficShares(endpoints::extraTrafficShare); // canary and shadow shares in the capacity advice

        Future<Void> scan = config.modelControl() == ControlMode.POLL ? models.rescan() : Future.succeededFuture();
        scan = scan.compose(
                v -> tenantSync.start(config.tenants())); // the mesh's tenant policy is in force before serving
        scan = scan.compose(v -> vertx.executeBlocking(() -> {
            predictionLog.start();
            labelLog.start();
            config.features().file().ifPresent(f -> FeatureSeed.seedIfEmpty(featureStore.table(), f));
            return null;
        }));
        scan = scan.compose(v -> endpoints.start(config.endpoints())); // and its endpoints, their targets loaded
        int loops = Listeners.instancesFor(Runtime.getRuntime().availableProcessors());
        return scan.compose(v -> Listeners.listen(
                        vertx,
                        secure(
                                new HttpServerOptions()
                                        .setHost(config.host())
                                        .setPort(config.grpcPort())
                                        .setHttp2ClearTextEnabled(tls.isEmpty())
                                        .setIdleTimeout(GRPC_IDLE_TIMEOUT_SECONDS)
                                        .setIdleTimeoutUnit(TimeUnit.SECONDS)
                                        // HTTP/2's own default: a client gets 100 concurrent calls per connection,
                                        // not 2^32.
                                        .setInitialSettings(new Http2Settings()
                                                .setMaxFrameSize(1 << 20)
                                                .setMaxConcurrentStreams(MAX_CONCURRENT_STREAMS)),
                                GRPC_CLIENT_AUTH),
                        grpc,
                        loops))
                .compose(s -> {
                    grpcServer = s;
                    // REST is HTTP/1.1 (gRPC has its own port): no h2c upgrade, which some clients send on
                    // plain http:// and then misread.
                    // Over TLS too: ALPN offers HTTP/1.1 only.
                    io.vertx.ext.web.Router routes = adminApi.mount(web);
                    return Listeners.listen(
                            vertx,
                            secure(
                                    new HttpServerOptions()
                                            .setHost(config.host())
                                            .setPort(config.httpPort())
                                            .setHttp2ClearTextEnabled(false)
                                            .setAlpnVersions(List.of(HttpVersion.HTTP_1_1))
                                            .setIdleTimeout(HTTP_IDLE_TIMEOUT_SECONDS)
                                            .setIdleTimeoutUnit(TimeUnit.SECONDS)
                                            .setCompressionSupported(true),
                                    HTTP_CLIENT_AUTH),
                            rest.probesFirst(mutualTls() ? new ClientCertGate(routes) : routes),
                            loops);
                })
                .compose(s -> {
                    httpServer = s;
                    if (config.serving().metricsPort().isEmpty()) {
                        return Future.succeededFuture();
                    }
                    return Listeners.listen(
                                    vertx,
                                    secure(
                                            new HttpServerOptions()
                                                    .setHost(config.host())
                                                    .setPort(config.serving()
                                                            .metricsPort()
                                                            .getAsInt())
                                                    .setAlpnVersions(List.of(HttpVersion.HTTP_1_1))
                                                    .setIdleTimeout(HTTP_IDLE_TIMEOUT_SECONDS)
                                                    .setIdleTimeoutUnit(TimeUnit.SECONDS)
                                                    .setCompressionSupported(true),
                                            GRPC_CLIENT_AUTH),
                                    metricsEndpoint.mount(io.vertx.ext.web.Router.router(vertx), true),
                                    1)
                            .map(m -> {
                                metricsServer = m;
                                return null;
                            });
                })
                .<Void>map(s -> {
                    if (config.modelControl() == ControlMode.POLL) {
                        pollTimer = vertx.setPeriodic(config.pollInterval().toMillis(), id -> models.poll());
                    }
                    startTlsReload();
                    metricsTimer = vertx.setPeriodic(
                            METRICS_MAINTENANCE_MS,
                            id -> vertx.executeBlocking(
                                    () -> {
                                        metrics.maintain();
                                        return null;
                                    },
                                    false));
                    link.start(pool, advertisedHost(), grpcServer.actualPort());
                    operators.start(pool, models);
                    scaleIn = new ScaleIn(vertx, link, models, pool, operators);
                    scaleIn.clearLeftover();
                    // A cluster-wide rate quota is split evenly over the live nodes.
                    link.cluster()
                            .onMembership(e -> tenants.admission()
                                    .setNodeCount(
                                            Math.max(1, link.cluster().members().size()), System.nanoTime()));
                    tenants.admission()
                            .setNodeCount(Math.max(1, link.cluster().members().size()), System.nanoTime());
                    controller = new MeshController(vertx, link, models, forwarder, CopyScaler.defaults(), operators);
                    controller.start();
                    ready.set(true);
                    LOG.info(
                            "modelmux node ready: gRPC on {}:{}, HTTP on {}:{}, repository {}, {} models, devices {}",
                            config.host(),
                            grpcServer.actualPort(),
                            config.host(),
                            httpServer.actualPort(),
                            repo.describe(),
                            models.modelCount(),
                            pool.devices());
                    return null;
                })
                .recover(t -> vertx.executeBlocking(() -> {
                            closeLogs();
                            return null;
                        })
                        .transform(ar -> Future.failedFuture(t)));
    }

    /**
     * With a client CA, gRPC (and a metrics port of its own) refuse a handshake without a client certificate;
     * REST only requests one and {@link ClientCertGate} refuses the rest, so that probes reach health.
     */
    static final ClientAuth GRPC_CLIENT_AUTH = ClientAuth.REQUIRED;

    static final ClientAuth HTTP_CLIENT_AUTH = ClientAuth.REQUEST;

    private boolean mutualTls() {
        return tls.map(TlsMaterial::mutual).orElse(false);
    }

    /** {@code options} serving TLS with the node's material, when it has some. */
    private HttpServerOptions secure(HttpServerOptions options, ClientAuth clientAuth) {
        tls.ifPresent(m -> {
            ServerSSLOptions s = m.server(clientAuth);
            options.setSsl(true).setUseAlpn(true).setKeyCertOptions(s.getKeyCertOptions());
            if (m.mutual()) {
                options.setTrustOptions(s.getTrustOptions()).setClientAuth(clientAuth);
            }
        });
        return options;
    }

    /** New TLS files go in force for the servers' and the forward client's new connections. */
    private void startTlsReload() {
        tls.ifPresent(initial -> {
            tlsReloader = new TlsReloader(vertx, config.serving().tls().orElseThrow(), initial, metrics::tlsReload)
                    .target(m -> grpcServer.updateSsl(m.server(GRPC_CLIENT_AUTH)))
                    .target(m -> httpServer.updateSsl(m.server(HTTP_CLIENT_AUTH)))
                    .target(m -> metricsServer == null
                            ? Future.succeededFuture()
                            : metricsServer.updateSsl(m.server(GRPC_CLIENT_AUTH)))
                    .target(m -> forwarder.updateSsl(m.client()));
            TlsReloader r = tlsReloader;
            metrics.bindTlsExpiry(() -> r.current().certificate().getNotAfter().getTime() / 1000.0);
            tlsReloader.start();
        });
    }

    /** The feature store: resolves feature references (set once the node has started). */
    public FeatureStore featureStore() {
        return featureStore;
    }

    /** The prediction log: request paths append to it (set once the node has started). */
    public PredictionLog predictionLog() {
        return predictionLog;
    }

    /** Flushes the prediction and label logs and stops their writers, and the feature store's reads. Blocking. */
    private void closeLogs() {
        if (predictionLog != null) {
            predictionLog.close();
        }
        if (labelLog != null) {
            labelLog.close();
        }
        if (featureStore != null) {
            featureStore.close();
        }
    }

    /** Where other nodes reach this node's gRPC port: the advertised host, else the bind address. */
    private String advertisedHost() {
        ClusterConfig c = config.cluster();
        boolean manyNodes = !c.peers().isEmpty()
                || c.kubernetesServiceDns().isPresent()
                || c.kubernetesApi().isPresent();
        return Advertised.host(c.advertiseAddress(), config.host(), manyNodes, Advertised::machineAddresses);
    }

    private static String randomToken() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String generateToken(Path dataDir) {
        String token = randomToken();
        try {
            Files.createDirectories(dataDir);
            Path file = dataDir.resolve("admin-token");
            Files.deleteIfExists(file);
            try {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("data-dir: cannot write the admin token: " + e.getMessage());
        }
        return token;
    }

    public int grpcPort() {
        return grpcServer.actualPort();
    }

    public int httpPort() {
        return httpServer.actualPort();
    }

    /** The port {@code /metrics} is served on: its own, or the REST port. */
    public int metricsPort() {
        return metricsServer == null ? httpServer.actualPort() : metricsServer.actualPort();
    }

    public Vertx vertx() {
        return vertx;
    }

    public DevicePool pool() {
        return pool;
    }

    /** The node's metrics (tests run their maintenance, as the periodic worker does, through it). */
    NodeMetrics metrics() {
        return metrics;
    }

    /** The queues in front of this node's devices (tests hold a device through them). */
    DeviceSchedulers schedulers() {
        return schedulers;
    }

    public NodeConfig config() {
        return config;
    }

    /** The admin token in force. */
    public String adminToken() {
        return adminToken;
    }

    /**
     * After {@link #close}: whether every ONNX Runtime session was closed and every device thread
     * stopped. When false a run outlived the shutdown grace and its sessions were left open; the
     * process must then exit without releasing ONNX Runtime's environment under it.
     */
    public boolean runtimeQuiescent() {
        return runtimeQuiescent;
    }

    /** Whether the admin token was generated at start (so it should be shown once). */
    public boolean adminTokenGenerated() {
        return adminTokenGenerated;
    }

    /** The Hazelcast member port of this node (peers join through it). */
    public int clusterPort() {
        return link.cluster().memberPort();
    }

    /**
     * Simulates {@code kill -9} for tests in one JVM: the cluster member is terminated without
     * leaving, and the servers are closed at once without draining.
     */
    Future<Void> crash() {
        ready.set(false);
        stopAdmin();
        link.stop();
        if (controller != null) {
            controller.stop();
        }
        link.cluster().crash();
        Future<Void> g = grpcServer.close();
        Future<Void> h = httpServer.close();
        Future<Void> m = metricsServer == null ? Future.succeededFuture() : metricsServer.close();
        return Future.join(g, h, m)
                .transform(ar -> vertx.executeBlocking(() -> {
                    closeLogs();
                    pool.close();
                    repo.close();
                    if (schedulers != null) {
                        schedulers.close();
                    }
                    return null;
                }))
                .transform(ar -> vertx.close());
    }

    private void stopAdmin() {
        if (tlsReloader != null) {
            tlsReloader.stop();
        }
        operators.stop();
        if (adminApi != null) {
            adminApi.stop();
        }
    }

    /** Whether this node leads the mesh now (runs the controller); only verified node records compete. */
    boolean leadsMesh() {
        return link.isLeader();
    }

    /** Ids of the mesh's nodes whose records this node has read (itself included). */
    public Set<String> meshNodes() {
        return link.nodes().keySet();
    }

    /** The ready and loading copies of a model version, as the shared table has them now (blocking; for tests and tools). */
    public List<String> copies(String model, long version) {
        try {
            return link.cluster().placements().copies(ModelKey.of(model, version)).get(30, TimeUnit.SECONDS).stream()
                    .filter(c -> c.state() == Copy.State.READY || c.state() == Copy.State.LOADING)
                    .map(c -> c.nodeId() + "/" + c.deviceId() + ":" + c.state())
                    .toList();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The endpoints, traffic policies and decision API of this node. */
    public Endpoints endpoints() {
        return endpoints;
    }

    /** This node's id in the mesh. */
    public String nodeId() {
        return link.nodeId();
    }

    /** Triggers a repository rescan now (poll mode's timer does this periodically). */
    public Future<Void> rescan() {
        return models.rescan();
    }

    /**
     * Reports not ready, drains this node's copies to other nodes while still serving (up to the
     * drain timeout; see {@code ScaleIn}), then stops accepting, waits for in-flight requests (up to
     * the shutdown grace), unloads every model (closing its sessions), leaves the mesh, and closes Vert.x.
     */
    public Future<Void> close() {
        ready.set(false);
        if (scaleIn == null) {
            return shutdown();
        }
        // The drain completes on an event loop; shut down from a thread of its own, as from a caller's,
        // so no step waits on an event loop that the shutdown itself closes.
        CompletableFuture<Void> stopped = new CompletableFuture<>();
        scaleIn.drain(config.drainTimeout())
                .onComplete(ar -> new Thread(
                                () -> shutdown().onComplete(r -> {
                                    if (r.succeeded()) {
                                        stopped.complete(null);
                                    } else {
                                        stopped.completeExceptionally(r.cause());
                                    }
                                }),
                                "modelmux-stop")
                        .start());
        return Future.fromCompletionStage(stopped);
    }

    private Future<Void> shutdown() {
        stopAdmin();
        if (controller != null) {
            controller.stop();
        }
        if (tenantSync != null) {
            tenantSync.close();
        }
        if (endpoints != null) {
            endpoints.close();
        }
        if (pollTimer >= 0) {
            vertx.cancelTimer(pollTimer);
        }
        if (metricsTimer >= 0) {
            vertx.cancelTimer(metricsTimer);
        }
        models.close();
        long graceMs = config.shutdownGrace().toMillis();
        Future<Void> g =
                grpcServer == null ? Future.succeededFuture() : grpcServer.shutdown(graceMs, TimeUnit.MILLISECONDS);
        Future<Void> h =
                httpServer == null ? Future.succeededFuture() : httpServer.shutdown(graceMs, TimeUnit.MILLISECONDS);
        Future<Void> m = metricsServer == null
                ? Future.succeededFuture()
                : metricsServer.shutdown(graceMs, TimeUnit.MILLISECONDS);
        Future<Void> released =
                Future.join(g, h, m).transform(ar -> scaleIn == null ? Future.succeededFuture() : scaleIn.release());
        return released.transform(ar -> Future.join(link.close(), forwarder.close()))
                .transform(ar -> vertx.executeBlocking(() -> {
                    // The servers have stopped accepting and their in-flight requests are done: every record a
                    // request appended is in the prediction log's queue, and closing the log writes them all.
                    closeLogs();
                    runtimeQuiescent = pool.close(DevicePool.DEFAULT_CLOSE_TIMEOUT);
                    repo.close();
                    if (schedulers != null) {
                        schedulers.close();
                    }
                    return null;
                }))
                .transform(ar -> {
                    repoWorker.close();
                    codecWorker.close();
                    return vertx.close();
                });
    }
}
