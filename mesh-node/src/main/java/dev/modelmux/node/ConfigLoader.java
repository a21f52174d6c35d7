package dev.modelmux.node;

import com.sun.management.OperatingSystemMXBean;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.catalog.ModelReadiness;
import dev.modelmux.node.features.FeatureStoreConfig;
import dev.modelmux.node.metrics.ModelHistograms;
import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.predlog.PredictionLogConfig;
import dev.modelmux.node.security.TlsConfig;
import dev.modelmux.repo.S3Options;
import java.io.IOException;
import java.io.Reader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place configuration is read. Each key can be given as a flag ({@code --grpc-port 8001}
 * or {@code --grpc-port=8001}), an environment variable ({@code MODELMUX_GRPC_PORT}) or a line of
 * the properties file named by {@code --config} ({@code grpc-port = 8001}); flags win over the
 * environment, which wins over the file. An unknown key or a bad value fails with a message
 * naming the key.
 */
public final class ConfigLoader {
    /** Every key, with its help line. */
    public static final Map<String, String> KEYS = keys();

    private static Map<String, String> keys() {
        Map<String, String> k = new LinkedHashMap<>();
        k.put("config", "properties file with any of these keys");
        k.put(
                "repo",
                "model repository URI: a folder, file:, zip:, jar:, http(s):, s3://bucket/prefix/ (default: the example"
                        + " repository)");
        k.put(
                "s3-endpoint",
                "S3-compatible endpoint for an s3:// repository, e.g. http://minio:9000 (default: AWS_ENDPOINT_URL_S3,"
                        + " AWS_ENDPOINT_URL, else AWS); credentials come from the AWS SDK's default chain");
        k.put("s3-region", "the bucket's region (default: AWS_REGION or the profile, else us-east-1)");
        k.put("s3-path-style", "true: address buckets as endpoint/bucket/key (MinIO, Ceph) (default false)");
        k.put(
                "s3-cache-size",
                "local cache of artifacts downloaded from S3, in data-dir/s3-cache; least recently used evicted"
                        + " (default 2GiB; 0 = none)");
        k.put("s3-timeout", "longest wait for one S3 request's answer, e.g. 30s (default 30s)");
        k.put("host", "address to bind (default 0.0.0.0)");
        k.put("grpc-port", "Open Inference Protocol gRPC port (default 8001; 0 = ephemeral)");
        k.put("http-port", "REST, /metrics and admin API port (default 8000; 0 = ephemeral)");
        k.put(
                "memory-budget",
                "the CPU device's memory budget, e.g. 2GiB (default: 1/4 of RAM; 384MiB for the example repository)");
        k.put("devices", "simulated CPU device pool, e.g. cpu0=1GiB,cpu1=512MiB (overrides memory-budget)");
        k.put(
                "admin-token",
                "admin bearer token, >= 16 chars (default: generated and saved in the data dir, never printed);"
                        + " prefer admin-token-file or the environment: a flag shows in ps");
        k.put("admin-token-file", "file holding the admin token (e.g. a mounted Kubernetes Secret)");
        k.put("metrics-token", "bearer token Prometheus presents for /metrics (at least 16 characters)");
        k.put("metrics-token-file", "file holding the metrics token");
        k.put("metrics-port", "serve /metrics on this port of its own (0 = ephemeral) instead of the REST port");
        k.put(
                "tls-cert",
                "PEM certificate (chain) to serve gRPC, REST and metrics over TLS, and to call other nodes with (with tls-key)");
        k.put("tls-key", "PEM private key of tls-cert (PKCS#8, PKCS#1 RSA or SEC1 EC)");
        k.put(
                "tls-client-ca",
                "PEM CA certificates: clients must present a certificate issued by them (mutual TLS; health paths excepted),"
                        + " and nodes trust them for each other");
        k.put(
                "tls-reload-interval",
                "how often the TLS files are checked for a change, put in force without a restart (default 30s; 0 = never)");
        k.put(
                "metrics-model-histograms",
                "models whose latencies get full histograms in /metrics: none | model names, comma-separated | top:N"
                        + " (the N busiest, re-evaluated every minute) (default none: a few buckets per model)");
        k.put("data-dir", "where the node keeps state (default .modelmux)");
        k.put("model-control", "poll | explicit (default poll)");
        k.put(
                "model-readiness",
                "what ModelReady reports: servable (the mesh can serve it; a call may pay a load) | loaded (Triton's"
                        + " meaning: loaded on this node) (default servable)");
        k.put("poll-interval", "repository rescan interval in poll mode, e.g. 10s (default 10s)");
        k.put("max-message-size", "largest gRPC message / HTTP body (default 64MiB)");
        k.put("max-tensor-elements", "most elements in one request tensor (default 67108864)");
        k.put("footprint-factor", "predicted memory = artifact size x factor (default 1.5)");
        k.put("intra-op-threads", "ONNX Runtime global intra-op threads (default: cores)");
        k.put("infer-threads", "concurrent inferences per device (default: cores)");
        k.put("shutdown-grace", "time to finish in-flight requests on stop (default 30s)");
        k.put(
                "drain-timeout",
                "on stop, time to wait for the mesh to move this node's copies elsewhere first (default 20s; 0 = no drain)");
        k.put("node-id", "this node's id in the mesh, unique per node (default: the host name)");
        k.put("cluster-port", "Hazelcast member port (default 5701; 0 = ephemeral)");
        k.put("peers", "host:port of other members' cluster ports, comma-separated (default: none, a one-node mesh)");
        k.put(
                "advertise-address",
                "host[:port] other members and forwarded requests reach this node at (default: bind address)");
        k.put("cluster-bind", "address the Hazelcast member binds (default 127.0.0.1; 0.0.0.0 for every interface)");
        k.put(
                "cluster-secret",
                ">= 32 random chars (e.g. openssl rand -base64 32), the same on every node: only nodes with it join the"
                        + " mesh or write its shared state, and it authenticates forwarded requests (required with peers or"
                        + " Kubernetes discovery)");
        k.put("cluster-secret-file", "file holding the cluster secret (e.g. a mounted Kubernetes Secret)");
        k.put(
                "kubernetes-service-dns",
                "Kubernetes discovery, DNS mode: the headless service's DNS name (instead of peers)");
        k.put(
                "kubernetes-service-name",
                "Kubernetes discovery, API mode: the service whose endpoints are the members (needs RBAC; instead of peers)");
        k.put("kubernetes-namespace", "the namespace of kubernetes-service-name (default: the pod's own)");
        k.put("tenants", "tenants file, YAML or JSON (default: one tenant 'default' that needs no key)");
        k.put(
                "endpoints",
                "endpoints file, YAML or JSON (default: the example repository's endpoints.yaml with the example repository)");
        k.put("gpus", "auto | none: add the CUDA GPUs found at start (needs the -Pcuda build; default auto)");
        k.put("features", "JSON-lines file of feature values loaded into the feature store at start when it is empty");
        k.put("feature-cache-entries", "most feature values one node caches (default 100000; 0 = no cache)");
        k.put(
                "feature-store-delay-ms",
                "test/fault-injection setting: delay every feature lookup by this many ms (default 0)");
        k.put("prediction-log-segment-bytes", "close a prediction log segment at this size (default 64MiB)");
        k.put("prediction-log-segment-age", "... or at this age (default 1h)");
        k.put(
                "prediction-log-retention",
                "delete closed prediction and label log segments older than this (default 7d; 0 = keep all)");
        k.put(
                "prediction-log-buffer",
                "records waiting for the prediction log writer at most; more are dropped and counted (default 65536)");
        k.put(
                "prediction-log-buffer-bytes",
                "bytes of records waiting for the prediction (or label) log writer at most; more are dropped and counted"
                        + " (default 64MiB)");
        k.put(
                "log-durability",
                "none | interval | always: when prediction and label records are on disk (default interval: fsynced every"
                        + " log-fsync-interval; always: a decision or label post is answered once its record is fsynced)");
        k.put("log-fsync-interval", "the group commit's period under log-durability interval (default 200ms)");
        return Collections.unmodifiableMap(k);
    }

    private ConfigLoader() {}

    /**
     * @param args flags
     * @param env the environment ({@code System.getenv()})
     * @param exampleRepo the example repository, used when no repo is configured (may be empty)
     */
    public static NodeConfig load(List<String> args, Map<String, String> env, Optional<String> exampleRepo) {
        Map<String, String> flags = parseFlags(args);
        Map<String, String> values = new LinkedHashMap<>();
        String file = flags.getOrDefault("config", env.get(envName("config")));
        if (file != null) {
            values.putAll(readFile(Path.of(file)));
        }
        for (String key : KEYS.keySet()) {
            String v = env.get(envName(key));
            if (v != null) {
                values.put(key, v);
            }
        }
        values.putAll(flags);
        secretFile(values, "admin-token");
        secretFile(values, "cluster-secret");
        secretFile(values, "metrics-token");
        return build(values, exampleRepo);
    }

    /**
     * {@code <key>-file}: the secret read from a file (a mounted Kubernetes Secret), so it appears neither in
     * {@code ps} nor in the environment. One of the two forms only.
     */
    private static void secretFile(Map<String, String> values, String key) {
        String file = values.get(key + "-file");
        if (file == null) {
            return;
        }
        if (values.containsKey(key)) {
            throw new IllegalArgumentException(key + "-file: give either " + key + " or " + key + "-file, not both");
        }
        String secret;
        try {
            secret = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(key + "-file: cannot read " + file);
        }
        if (secret.isEmpty()) {
            throw new IllegalArgumentException(key + "-file: " + file + " is empty");
        }
        values.put(key, secret);
    }

    static String envName(String key) {
        return "MODELMUX_" + key.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    static Map<String, String> parseFlags(List<String> args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'; flags look like --grpc-port 8001");
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else {
                if (i + 1 >= args.size()) {
                    throw new IllegalArgumentException("--" + key + ": needs a value");
                }
                value = args.get(++i);
            }
            known(key, "flag --" + key);
            out.put(key, value);
        }
        return out;
    }

    private static Map<String, String> readFile(Path file) {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("config: cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : p.stringPropertyNames()) {
            known(k, "key '" + k + "' in " + file);
            out.put(k, p.getProperty(k).trim());
        }
        return out;
    }

    private static void known(String key, String where) {
        if (!KEYS.containsKey(key)) {
            throw new IllegalArgumentException(
                    where + " is not a known setting; known: " + String.join(", ", KEYS.keySet()));
        }
    }

    private static NodeConfig build(Map<String, String> v, Optional<String> exampleRepo) {
        int cores = Runtime.getRuntime().availableProcessors();
        String repo = v.get("repo");
        boolean example = repo == null;
        if (example) {
            repo = exampleRepo.orElseThrow(() -> new IllegalArgumentException(
                    "repo: not set and the example repository is not built; pass --repo URI or run ./modelmux serve"));
        }
        int inferThreads = intValue(v, "infer-threads", cores);
        if (inferThreads < 1) {
            throw new IllegalArgumentException("infer-threads: must be >= 1, was " + inferThreads);
        }
        List<DeviceSpec> devices;
        if (v.containsKey("devices")) {
            devices = devices(v.get("devices"), inferThreads);
        } else {
            long budget = v.containsKey("memory-budget")
                    ? bytes("memory-budget", v.get("memory-budget"))
                    : example ? 384L << 20 : defaultBudget();
            devices = List.of(new DeviceSpec("cpu0", DeviceKind.CPU, 0, budget, inferThreads));
        }
        String control = v.getOrDefault("model-control", "poll").toLowerCase(Locale.ROOT);
        ControlMode mode = switch (control) {
            case "poll" -> ControlMode.POLL;
            case "explicit" -> ControlMode.EXPLICIT;
            default ->
                throw new IllegalArgumentException("model-control: must be poll or explicit, was '" + control + "'");
        };
        return new NodeConfig(
                repo,
                v.getOrDefault("host", "0.0.0.0"),
                intValue(v, "grpc-port", NodeConfig.DEFAULT_GRPC_PORT),
                intValue(v, "http-port", NodeConfig.DEFAULT_HTTP_PORT),
                devices,
                Optional.ofNullable(v.get("admin-token")),
                Path.of(v.getOrDefault("data-dir", ".modelmux")),
                mode,
                v.containsKey("poll-interval")
                        ? duration("poll-interval", v.get("poll-interval"))
                        : NodeConfig.DEFAULT_POLL_INTERVAL,
                v.containsKey("max-message-size")
                        ? bytes("max-message-size", v.get("max-message-size"))
                        : NodeConfig.DEFAULT_MAX_MESSAGE_BYTES,
                v.containsKey("max-tensor-elements")
                        ? longValue("max-tensor-elements", v.get("max-tensor-elements"))
                        : NodeConfig.DEFAULT_MAX_TENSOR_ELEMENTS,
                v.containsKey("footprint-factor") ? doubleValue("footprint-factor", v.get("footprint-factor")) : 1.5,
                intValue(v, "intra-op-threads", cores),
                v.containsKey("shutdown-grace")
                        ? duration("shutdown-grace", v.get("shutdown-grace"))
                        : Duration.ofSeconds(30),
                gpus(v.getOrDefault("gpus", "auto")),
                cluster(v),
                Optional.ofNullable(v.get("cluster-secret")),
                Optional.ofNullable(v.get("tenants")).map(Path::of),
                v.containsKey("drain-timeout")
                        ? duration("drain-timeout", v.get("drain-timeout"))
                        : NodeConfig.DEFAULT_DRAIN_TIMEOUT,
                features(v),
                predictionLog(v),
                endpoints(v, example ? Optional.of(repo) : Optional.empty()),
                serving(v),
                s3(v));
    }

    private static S3Options s3(Map<String, String> v) {
        S3Options o = S3Options.defaults();
        if (v.containsKey("s3-endpoint")) {
            o = o.withEndpoint(S3Options.endpoint("s3-endpoint", v.get("s3-endpoint")));
        }
        if (v.containsKey("s3-region")) {
            o = o.withRegion(v.get("s3-region").strip());
        }
        if (v.containsKey("s3-path-style")) {
            String p = v.get("s3-path-style").strip().toLowerCase(Locale.ROOT);
            if (!p.equals("true") && !p.equals("false")) {
                throw new IllegalArgumentException("s3-path-style: must be true or false, was '" + p + "'");
            }
            o = o.withPathStyle(p.equals("true"));
        }
        if (v.containsKey("s3-cache-size")) {
            o = o.withCacheBytes(bytes("s3-cache-size", v.get("s3-cache-size")));
        }
        if (v.containsKey("s3-timeout")) {
            o = o.withTimeout(duration("s3-timeout", v.get("s3-timeout")));
        }
        return o;
    }

    private static ServingOptions serving(Map<String, String> v) {
        String readiness = v.getOrDefault("model-readiness", "servable").toLowerCase(Locale.ROOT);
        return new ServingOptions(
                switch (readiness) {
                    case "servable" -> ModelReadiness.SERVABLE;
                    case "loaded" -> ModelReadiness.LOADED;
                    default ->
                        throw new IllegalArgumentException(
                                "model-readiness: must be servable or loaded, was '" + readiness + "'");
                },
                Optional.ofNullable(v.get("metrics-token")),
                v.containsKey("metrics-port") ? OptionalInt.of(intValue(v, "metrics-port", 0)) : OptionalInt.empty(),
                tls(v),
                ModelHistograms.parse(v.getOrDefault("metrics-model-histograms", "none")));
    }

    /** TLS: certificate and key both or neither; every file named must be a readable file. */
    private static Optional<TlsConfig> tls(Map<String, String> v) {
        String cert = v.get("tls-cert");
        String key = v.get("tls-key");
        if (cert == null && key == null) {
            for (String other : List.of("tls-client-ca", "tls-reload-interval")) {
                if (v.containsKey(other)) {
                    throw new IllegalArgumentException(other + ": only used with tls-cert and tls-key");
                }
            }
            return Optional.empty();
        }
        if (key == null) {
            throw new IllegalArgumentException("tls-key: required with tls-cert (give both or neither)");
        }
        if (cert == null) {
            throw new IllegalArgumentException("tls-cert: required with tls-key (give both or neither)");
        }
        TlsConfig t = TlsConfig.of(readable("tls-cert", cert), readable("tls-key", key));
        if (v.containsKey("tls-client-ca")) {
            t = t.withClientCa(readable("tls-client-ca", v.get("tls-client-ca")));
        }
        if (v.containsKey("tls-reload-interval")) {
            t = t.withReloadInterval(duration("tls-reload-interval", v.get("tls-reload-interval")));
        }
        return Optional.of(t);
    }

    private static Path readable(String key, String file) {
        Path p = Path.of(file);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException(key + ": cannot read " + file + " (no such readable file)");
        }
        return p;
    }

    private static FeatureStoreConfig features(Map<String, String> v) {
        long delay = v.containsKey("feature-store-delay-ms")
                ? longValue("feature-store-delay-ms", v.get("feature-store-delay-ms"))
                : 0;
        return new FeatureStoreConfig(
                Optional.ofNullable(v.get("features")).map(Path::of),
                Duration.ofMillis(delay),
                intValue(v, "feature-cache-entries", FeatureStoreConfig.DEFAULT_CACHE_ENTRIES));
    }

    private static PredictionLogConfig predictionLog(Map<String, String> v) {
        PredictionLogConfig d = PredictionLogConfig.defaults();
        return new PredictionLogConfig(
                v.containsKey("prediction-log-segment-bytes")
                        ? bytes("prediction-log-segment-bytes", v.get("prediction-log-segment-bytes"))
                        : d.segmentBytes(),
                v.containsKey("prediction-log-segment-age")
                        ? duration("prediction-log-segment-age", v.get("prediction-log-segment-age"))
                        : d.segmentAge(),
                v.containsKey("prediction-log-retention")
                        ? duration("prediction-log-retention", v.get("prediction-log-retention"))
                        : d.retention(),
                intValue(v, "prediction-log-buffer", d.bufferRecords()),
                v.containsKey("prediction-log-buffer-bytes")
                        ? bytes("prediction-log-buffer-bytes", v.get("prediction-log-buffer-bytes"))
                        : d.bufferBytes(),
                v.containsKey("log-durability")
                        ? LogDurability.parse(v.get("log-durability"), "log-durability")
                        : d.durability(),
                v.containsKey("log-fsync-interval")
                        ? duration("log-fsync-interval", v.get("log-fsync-interval"))
                        : d.fsyncInterval());
    }

    /** The endpoints file: as configured, else the example repository's {@code endpoints.yaml} when serving it. */
    private static Optional<Path> endpoints(Map<String, String> v, Optional<String> exampleRepo) {
        if (v.containsKey("endpoints")) {
            return Optional.of(Path.of(v.get("endpoints")));
        }
        return exampleRepo
                .filter(r -> !r.contains(":"))
                .map(r -> Path.of(r).resolve("endpoints.yaml"))
                .filter(Files::isRegularFile);
    }

    private static ClusterConfig cluster(Map<String, String> v) {
        ClusterConfig c = ClusterConfig.defaults()
                .withNodeId(v.getOrDefault("node-id", defaultNodeId()))
                .withPort(intValue(v, "cluster-port", 5701))
                .withBindHost(v.getOrDefault("cluster-bind", "127.0.0.1"));
        if (v.containsKey("peers") && !v.get("peers").isBlank()) {
            c = c.withPeers(Arrays.stream(v.get("peers").split(","))
                    .map(String::trim)
                    .filter(p -> !p.isEmpty())
                    .toList());
        }
        if (v.containsKey("advertise-address")) {
            c = c.withAdvertiseAddress(v.get("advertise-address"));
        }
        if (v.containsKey("kubernetes-service-dns")) {
            c = c.withKubernetesServiceDns(v.get("kubernetes-service-dns"));
        }
        if (v.containsKey("kubernetes-service-name")) {
            ClusterConfig.KubernetesApi api = ClusterConfig.KubernetesApi.of(v.get("kubernetes-service-name"));
            c = c.withKubernetesApi(
                    v.containsKey("kubernetes-namespace") ? api.inNamespace(v.get("kubernetes-namespace")) : api);
        } else if (v.containsKey("kubernetes-namespace")) {
            throw new IllegalArgumentException("kubernetes-namespace: only used with kubernetes-service-name");
        }
        return c;
    }

    private static String defaultNodeId() {
        try {
            String host = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9._-]", "-");
            return host.isEmpty() || !Character.isLetterOrDigit(host.charAt(0))
                    ? "node-1"
                    : host.substring(0, Math.min(64, host.length()));
        } catch (IOException e) {
            return "node-1";
        }
    }

    private static boolean gpus(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "auto" -> true;
            case "none" -> false;
            default -> throw new IllegalArgumentException("gpus: must be auto or none, was '" + s + "'");
        };
    }

    private static long defaultBudget() {
        long ram = physicalMemory();
        return Math.max(256L << 20, ram / 4);
    }

    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 4L << 30;
    }

    static List<DeviceSpec> devices(String spec, int inferThreads) {
        List<DeviceSpec> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("devices: '" + p + "' must look like cpu0=1GiB");
            }
            String id = p.substring(0, eq).trim();
            if (!id.matches("cpu[0-9]{1,3}")) {
                throw new IllegalArgumentException(
                        "devices: device id '" + id + "' must be cpu<N> (GPUs are detected, not configured)");
            }
            out.add(new DeviceSpec(
                    id, DeviceKind.CPU, 0, bytes("devices", p.substring(eq + 1).trim()), inferThreads));
        }
        if (out.stream().map(DeviceSpec::id).distinct().count() != out.size()) {
            throw new IllegalArgumentException("devices: ids must be unique in '" + spec + "'");
        }
        return out;
    }

    private static final Pattern SIZE =
            Pattern.compile("(?i)\\s*([0-9]+(?:\\.[0-9]+)?)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\\s*");
    private static final Map<String, Long> UNITS = Map.ofEntries(
            Map.entry("b", 1L),
            Map.entry("k", 1L << 10),
            Map.entry("kb", 1000L),
            Map.entry("kib", 1L << 10),
            Map.entry("m", 1L << 20),
            Map.entry("mb", 1000_000L),
            Map.entry("mib", 1L << 20),
            Map.entry("g", 1L << 30),
            Map.entry("gb", 1000_000_000L),
            Map.entry("gib", 1L << 30),
            Map.entry("t", 1L << 40),
            Map.entry("tb", 1000_000_000_000L),
            Map.entry("tib", 1L << 40));

    /** Parses {@code 1048576}, {@code 512MiB}, {@code 1.5GiB}, {@code 2G} (binary), {@code 2GB} (decimal). */
    public static long bytes(String key, String s) {
        Matcher m = SIZE.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    key + ": '" + s + "' is not a size; use bytes or a suffix like 512MiB or 2GiB");
        }
        double n = Double.parseDouble(m.group(1));
        long unit = m.group(2) == null ? 1 : UNITS.get(m.group(2).toLowerCase(Locale.ROOT));
        double bytes = n * unit;
        if (bytes < 1 || bytes > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException(key + ": '" + s + "' is out of range");
        }
        return (long) bytes;
    }

    private static final Pattern DURATION = Pattern.compile("\\s*([0-9]+)\\s*(ms|s|m|h|d)?\\s*");

    /** Parses {@code 500ms}, {@code 10s}, {@code 2m}, {@code 1h}, {@code 7d}; a bare number is seconds. */
    public static Duration duration(String key, String s) {
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw new IllegalArgumentException(key + ": '" + s + "' is not a duration; use e.g. 500ms, 10s, 2m");
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private static int intValue(Map<String, String> v, String key, int dflt) {
        String s = v.get(key);
        if (s == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + s + "' is not an integer");
        }
    }

    private static long longValue(String key, String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + s + "' is not an integer");
        }
    }

    private static double doubleValue(String key, String s) {
        try {
            return Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + ": '" + s + "' is not a number");
        }
    }

    /** Keys whose values are secrets, never logged. */
    public static final Set<String> SECRETS = Set.of("admin-token", "cluster-secret", "metrics-token");
}
