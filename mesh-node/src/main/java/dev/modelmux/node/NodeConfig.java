package dev.modelmux.node;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.features.FeatureStoreConfig;
import dev.modelmux.node.predlog.PredictionLogConfig;
import dev.modelmux.repo.S3Options;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable configuration of one node. Built by {@link ConfigLoader} from flags, environment and
 * a config file; every value is validated here and a bad one names its key.
 *
 * @param repository the model repository URI (an operator's setting, never a request field)
 * @param host the address the servers bind
 * @param grpcPort Open Inference Protocol gRPC port (0 = ephemeral)
 * @param httpPort REST, {@code /metrics} and the admin API (0 = ephemeral)
 * @param devices the devices of this node (CPU devices with memory budgets; CUDA when present)
 * @param adminToken the admin bearer token; empty to generate one at start
 * @param dataDir where the node keeps its state (the generated admin token)
 * @param modelControl poll the repository, or load/unload only through the repository API
 * @param pollInterval time between repository scans in poll mode
 * @param maxMessageBytes largest gRPC message or HTTP body accepted
 * @param maxTensorElements most elements in one request tensor
 * @param footprintFactor predicted footprint = artifact size x factor (unless memory_bytes is set)
 * @param intraOpThreads ONNX Runtime's global intra-op threads
 * @param shutdownGrace how long a stopping node waits for in-flight requests
 * @param detectGpus add the CUDA GPUs found at start (needs the {@code -Pcuda} build and a driver)
 * @param cluster how this node joins the mesh (node id, Hazelcast port, peers, advertised address)
 * @param clusterSecret the mesh's shared secret: only nodes with it join the mesh (the Hazelcast cluster name
 *     is derived from it) or write shared state it believes (tags with a key derived from it), and it
 *     authenticates requests forwarded between nodes; at least 32 random characters ({@link ClusterSecret});
 *     required with peers or Kubernetes discovery
 * @param tenants the tenants file (YAML or JSON); empty for one default tenant that needs no key
 * @param drainTimeout on stop, how long the node waits for the mesh to move its copies elsewhere
 *     before it stops accepting (0: no drain)
 * @param features the feature store: its seed file, the fault-injection lookup delay, the cache size
 * @param predictionLog the prediction (and label) log's segment size and age, retention, buffer
 * @param endpoints the endpoints file (YAML or JSON) published to the mesh at start unless it has endpoints already
 * @param serving how the protocol answers: what "model ready" means
 * @param s3 how an {@code s3://} repository is reached (endpoint, region, path style, artifact cache size);
 *     the cache lives in {@code dataDir/s3-cache} unless set
 */
public record NodeConfig(
        String repository,
        String host,
        int grpcPort,
        int httpPort,
        List<DeviceSpec> devices,
        Optional<String> adminToken,
        Path dataDir,
        ControlMode modelControl,
        Duration pollInterval,
        long maxMessageBytes,
        long maxTensorElements,
        double footprintFactor,
        int intraOpThreads,
        Duration shutdownGrace,
        boolean detectGpus,
        ClusterConfig cluster,
        Optional<String> clusterSecret,
        Optional<Path> tenants,
        Duration drainTimeout,
        FeatureStoreConfig features,
        PredictionLogConfig predictionLog,
        Optional<Path> endpoints,
        ServingOptions serving,
        S3Options s3) {

    public static final int DEFAULT_GRPC_PORT = 8001;
    public static final int DEFAULT_HTTP_PORT = 8000;
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 64L << 20;
    public static final long DEFAULT_MAX_TENSOR_ELEMENTS = 1L << 26;
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(10);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(20);

    public NodeConfig {
        Objects.requireNonNull(repository, "repo");
        if (repository.isBlank()) {
            throw new IllegalArgumentException("repo: must not be empty");
        }
        Objects.requireNonNull(host, "host");
        port("grpc-port", grpcPort);
        port("http-port", httpPort);
        if (grpcPort != 0 && grpcPort == httpPort) {
            throw new IllegalArgumentException("grpc-port and http-port must differ, both are " + grpcPort);
        }
        devices = List.copyOf(devices);
        if (devices.isEmpty()) {
            throw new IllegalArgumentException("devices: at least one device is required");
        }
        adminToken.ifPresent(t -> {
            if (t.length() < 16) {
                throw new IllegalArgumentException("admin-token: must be at least 16 characters");
            }
        });
        Objects.requireNonNull(dataDir, "data-dir");
        Objects.requireNonNull(modelControl, "model-control");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("poll-interval: must be > 0, was " + pollInterval);
        }
        if (maxMessageBytes < 1024 || maxMessageBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("max-message-size: must be in [1 KiB, 2 GiB), was " + maxMessageBytes);
        }
        if (maxTensorElements < 1) {
            throw new IllegalArgumentException("max-tensor-elements: must be >= 1, was " + maxTensorElements);
        }
        if (!(footprintFactor >= 1 && footprintFactor <= 100)) {
            throw new IllegalArgumentException("footprint-factor: must be in [1, 100], was " + footprintFactor);
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intra-op-threads: must be >= 1, was " + intraOpThreads);
        }
        Objects.requireNonNull(cluster, "cluster");
        if (cluster.joinsOthers() && clusterSecret.isEmpty()) {
            throw new IllegalArgumentException(
                    "cluster-secret: required with peers or Kubernetes discovery (the same on every node)");
        }
        // Refuses a guessable secret with a message that names the key (never the value).
        clusterSecret.ifPresent(ClusterSecret::of);
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdown-grace: must be >= 0");
        }
        Objects.requireNonNull(drainTimeout, "drain-timeout");
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drain-timeout: must be >= 0");
        }
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(predictionLog, "prediction-log");
        Objects.requireNonNull(serving, "serving");
        Objects.requireNonNull(s3, "s3");
    }

    /**
     * The settings every node needs; the rest at their defaults: no drain on stop, the default feature
     * store, prediction log, serving options and S3 settings, and no endpoints file.
     */
    public NodeConfig(
            String repository,
            String host,
            int grpcPort,
            int httpPort,
            List<DeviceSpec> devices,
            Optional<String> adminToken,
            Path dataDir,
            ControlMode modelControl,
            Duration pollInterval,
            long maxMessageBytes,
            long maxTensorElements,
            double footprintFactor,
            int intraOpThreads,
            Duration shutdownGrace,
            boolean detectGpus,
            ClusterConfig cluster,
            Optional<String> clusterSecret,
            Optional<Path> tenants) {
        this(
                repository,
                host,
                grpcPort,
                httpPort,
                devices,
                adminToken,
                dataDir,
                modelControl,
                pollInterval,
                maxMessageBytes,
                maxTensorElements,
                footprintFactor,
                intraOpThreads,
                shutdownGrace,
                detectGpus,
                cluster,
                clusterSecret,
                tenants,
                Duration.ZERO,
                FeatureStoreConfig.defaults(),
                PredictionLogConfig.defaults(),
                Optional.empty(),
                ServingOptions.defaults(),
                S3Options.defaults());
    }

    /** A copy with other ports (tests use 0 for ephemeral ports). */
    public NodeConfig withPorts(int grpc, int http) {
        Copy c = new Copy(this);
        c.grpcPort = grpc;
        c.httpPort = http;
        return c.build();
    }

    /** A copy that joins the mesh with {@code cluster}, authenticating forwards with {@code secret}. */
    public NodeConfig withCluster(ClusterConfig cluster, String secret) {
        Copy c = new Copy(this);
        c.cluster = cluster;
        c.clusterSecret = Optional.of(secret);
        return c.build();
    }

    /** A copy whose tenants come from {@code file}. */
    public NodeConfig withTenants(Path file) {
        Copy c = new Copy(this);
        c.tenants = Optional.of(file);
        return c.build();
    }

    /** A copy whose endpoints come from {@code file}. */
    public NodeConfig withEndpoints(Path file) {
        Copy c = new Copy(this);
        c.endpoints = Optional.of(file);
        return c.build();
    }

    /** A copy that drains for up to {@code timeout} on stop (0: no drain). */
    public NodeConfig withDrainTimeout(Duration timeout) {
        Copy c = new Copy(this);
        c.drainTimeout = timeout;
        return c.build();
    }

    /** A copy with other feature store settings. */
    public NodeConfig withFeatures(FeatureStoreConfig f) {
        Copy c = new Copy(this);
        c.features = f;
        return c.build();
    }

    /** A copy with other prediction log settings. */
    public NodeConfig withPredictionLog(PredictionLogConfig p) {
        Copy c = new Copy(this);
        c.predictionLog = p;
        return c.build();
    }

    /** A copy with other S3 repository settings. */
    public NodeConfig withS3(S3Options o) {
        Copy c = new Copy(this);
        c.s3 = o;
        return c.build();
    }

    /** A copy with other serving options. */
    public NodeConfig withServing(ServingOptions s) {
        Copy c = new Copy(this);
        c.serving = s;
        return c.build();
    }

    private static void port(String key, int p) {
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException(key + ": must be in [0, 65535], was " + p);
        }
    }

    /** A mutable copy of a configuration, for the {@code with...} methods: change what differs, then build. */
    private static final class Copy {
        private String repository;
        private String host;
        private int grpcPort;
        private int httpPort;
        private List<DeviceSpec> devices;
        private Optional<String> adminToken;
        private Path dataDir;
        private ControlMode modelControl;
        private Duration pollInterval;
        private long maxMessageBytes;
        private long maxTensorElements;
        private double footprintFactor;
        private int intraOpThreads;
        private Duration shutdownGrace;
        private boolean detectGpus;
        private ClusterConfig cluster;
        private Optional<String> clusterSecret;
        private Optional<Path> tenants;
        private Duration drainTimeout;
        private FeatureStoreConfig features;
        private PredictionLogConfig predictionLog;
        private Optional<Path> endpoints;
        private ServingOptions serving;
        private S3Options s3;

        Copy(NodeConfig c) {
            this.repository = c.repository;
            this.host = c.host;
            this.grpcPort = c.grpcPort;
            this.httpPort = c.httpPort;
            this.devices = c.devices;
            this.adminToken = c.adminToken;
            this.dataDir = c.dataDir;
            this.modelControl = c.modelControl;
            this.pollInterval = c.pollInterval;
            this.maxMessageBytes = c.maxMessageBytes;
            this.maxTensorElements = c.maxTensorElements;
            this.footprintFactor = c.footprintFactor;
            this.intraOpThreads = c.intraOpThreads;
            this.shutdownGrace = c.shutdownGrace;
            this.detectGpus = c.detectGpus;
            this.cluster = c.cluster;
            this.clusterSecret = c.clusterSecret;
            this.tenants = c.tenants;
            this.drainTimeout = c.drainTimeout;
            this.features = c.features;
            this.predictionLog = c.predictionLog;
            this.endpoints = c.endpoints;
            this.serving = c.serving;
            this.s3 = c.s3;
        }

        NodeConfig build() {
            return new NodeConfig(
                    repository,
                    host,
                    grpcPort,
                    httpPort,
                    devices,
                    adminToken,
                    dataDir,
                    modelControl,
                    pollInterval,
                    maxMessageBytes,
                    maxTensorElements,
                    footprintFactor,
                    intraOpThreads,
                    shutdownGrace,
                    detectGpus,
                    cluster,
                    clusterSecret,
                    tenants,
                    drainTimeout,
                    features,
                    predictionLog,
                    endpoints,
                    serving,
                    s3);
        }
    }
}
