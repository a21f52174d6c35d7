package dev.modelmux.cluster;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * How this node joins the mesh's Hazelcast cluster. Immutable and validated: a bad value fails at
 * construction with a message that names the key (the flag it comes from).
 *
 * <p>Joining: with {@link #peers()} empty and no Kubernetes discovery the node forms a one-member
 * cluster. Otherwise it joins over TCP-IP through any listed peer ({@code host:port}, the peer's
 * {@link #port()}); listing one live member is enough, members tell each other about the rest.
 * Multicast and auto-detection are always off. With {@link #kubernetesServiceDns()} set, members
 * are discovered through the DNS name of a headless Kubernetes service instead (DNS lookup mode of
 * Hazelcast's built-in Kubernetes discovery; set {@code bindHost} to {@code 0.0.0.0} in a pod and
 * give every pod the same {@code port}); peers must then be empty. With {@link #kubernetesApi()}
 * set, members are found through the Kubernetes API instead (the endpoints of a named service,
 * which needs a service account allowed to get and list endpoints, endpoint slices, pods and
 * services); peers and the DNS name must then be empty. Both Kubernetes modes dial every member at
 * {@link #port()}.
 *
 * <p>Trust: the cluster network is not trusted, the {@link #secret()} is. Hazelcast's cluster name
 * is derived from the secret and {@link #clusterName()} (so only holders of the secret can join,
 * and two meshes with one secret but different names stay apart), and every shared entry carries a
 * tag made with a key derived from it. A node that joins others needs a secret (the same on every
 * node); one running alone without a secret gets a random one at {@code join}, so nothing can join
 * it.
 *
 * <p>Failure detection is phi-accrual with heartbeats every {@link #heartbeatInterval()}; a member
 * silent for longer than {@link #maxNoHeartbeat()} is removed (Hazelcast's default is 60 s; a
 * member whose process is gone is usually noticed sooner, through refused connections).
 *
 * @param nodeId              this node's id, unique in the cluster ({@code --node-id})
 * @param clusterName         a label: members only join a cluster of the same label and secret
 * @param bindHost            IPv4 address the member listens on; {@code 0.0.0.0} for all ({@code --bind-host})
 * @param advertiseAddress    {@code host} or {@code host:port} other members should dial when it differs
 *                            from the bound address (NAT, containers) ({@code --advertise-address})
 * @param port                the Hazelcast member port; 0 picks a free one. Never auto-incremented:
 *                            peers name exact ports ({@code --cluster-port})
 * @param peers               {@code host:port} of members to join through ({@code --peers})
 * @param heartbeatInterval   whole seconds, at least 1 ({@code --heartbeat-interval})
 * @param maxNoHeartbeat      whole seconds, greater than the interval ({@code --max-no-heartbeat})
 * @param kubernetesServiceDns headless service DNS name for Kubernetes discovery ({@code --kubernetes-service-dns})
 * @param kubernetesApi       service (and namespace) whose endpoints the Kubernetes API lists
 *                            ({@code --kubernetes-service-name}, {@code --kubernetes-namespace})
 * @param secret              the mesh's shared secret ({@code --cluster-secret}); required to join others
 */
public record ClusterConfig(
        String nodeId,
        String clusterName,
        String bindHost,
        Optional<String> advertiseAddress,
        int port,
        List<String> peers,
        Duration heartbeatInterval,
        Duration maxNoHeartbeat,
        Optional<String> kubernetesServiceDns,
        Optional<KubernetesApi> kubernetesApi,
        Optional<ClusterSecret> secret) {

    public static final String DEFAULT_NODE_ID = "node-1";
    public static final String DEFAULT_CLUSTER_NAME = "modelmux";
    public static final String DEFAULT_BIND_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 0;
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_NO_HEARTBEAT = Duration.ofSeconds(10);

    private static final Pattern NODE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IPV4 =
            Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252})|\\[[0-9A-Fa-f:.]+]");

    public ClusterConfig {
        Objects.requireNonNull(advertiseAddress, "advertise-address");
        Objects.requireNonNull(peers, "peers");
        Objects.requireNonNull(kubernetesServiceDns, "kubernetes-service-dns");
        require(
                nodeId != null && NODE_ID.matcher(nodeId).matches(),
                "node-id",
                nodeId,
                "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        require(
                clusterName != null && NODE_ID.matcher(clusterName).matches(),
                "cluster-name",
                clusterName,
                "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        require(
                bindHost != null && IPV4.matcher(bindHost).matches(),
                "bind-host",
                bindHost,
                "an IPv4 address such as 127.0.0.1, or 0.0.0.0 for every interface");
        advertiseAddress.ifPresent(a -> parseAddress("advertise-address", a, true));
        require(port >= 0 && port <= 65535, "cluster-port", port, "0 (pick a free port) to 65535");
        peers = List.copyOf(peers);
        for (String peer : peers) {
            parseAddress("peers", peer, false);
        }
        requireWholeSeconds("heartbeat-interval", heartbeatInterval);
        requireWholeSeconds("max-no-heartbeat", maxNoHeartbeat);
        require(
                maxNoHeartbeat.compareTo(heartbeatInterval) > 0,
                "max-no-heartbeat",
                maxNoHeartbeat,
                "longer than heartbeat-interval (" + heartbeatInterval + ")");
        kubernetesServiceDns.ifPresent(dns -> require(
                HOST.matcher(dns).matches() && !dns.startsWith("["),
                "kubernetes-service-dns",
                dns,
                "a DNS name such as modelmux-hz.default.svc.cluster.local"));
        require(
                kubernetesServiceDns.isEmpty() || peers.isEmpty(),
                "peers",
                peers,
                "empty when kubernetes-service-dns is set (choose one way to find members)");
        Objects.requireNonNull(kubernetesApi, "kubernetes-service-name");
        Objects.requireNonNull(secret, "cluster-secret");
        require(
                kubernetesApi.isEmpty() || kubernetesServiceDns.isEmpty(),
                "kubernetes-service-name",
                kubernetesApi.map(KubernetesApi::serviceName).orElse(null),
                "unset when kubernetes-service-dns is set (DNS mode and API mode exclude each other)");
        require(
                kubernetesApi.isEmpty() || peers.isEmpty(),
                "peers",
                peers,
                "empty when kubernetes-service-name is set (choose one way to find members)");
    }

    /**
     * Kubernetes API discovery: the members are the addresses behind {@code serviceName}'s
     * endpoints in {@code namespace} (the pod's own namespace when empty).
     *
     * @param serviceName a Kubernetes service name (RFC 1035 label) ({@code --kubernetes-service-name})
     * @param namespace   a namespace name (RFC 1123 label) ({@code --kubernetes-namespace})
     */
    public record KubernetesApi(String serviceName, Optional<String> namespace) {
        private static final Pattern SERVICE = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
        private static final Pattern NAMESPACE = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

        public KubernetesApi {
            Objects.requireNonNull(namespace, "kubernetes-namespace");
            require(
                    serviceName != null && SERVICE.matcher(serviceName).matches(),
                    "kubernetes-service-name",
                    serviceName,
                    "a service name: 1-63 lower-case letters, digits or '-', starting with a letter");
            namespace.ifPresent(ns -> require(
                    NAMESPACE.matcher(ns).matches(),
                    "kubernetes-namespace",
                    ns,
                    "a namespace name: 1-63 lower-case letters, digits or '-'"));
        }

        /** API discovery of {@code serviceName}'s endpoints in the pod's own namespace. */
        public static KubernetesApi of(String serviceName) {
            return new KubernetesApi(serviceName, Optional.empty());
        }

        public KubernetesApi inNamespace(String ns) {
            return new KubernetesApi(serviceName, Optional.of(ns));
        }
    }

    /** Whether this node looks for other members (peers or Kubernetes discovery) rather than running alone. */
    public boolean joinsOthers() {
        return !peers.isEmpty() || kubernetesServiceDns.isPresent() || kubernetesApi.isPresent();
    }

    /** A one-member cluster on loopback, a free port, 1 s heartbeats, 10 s maximum silence. */
    public static ClusterConfig defaults() {
        return new ClusterConfig(
                DEFAULT_NODE_ID,
                DEFAULT_CLUSTER_NAME,
                DEFAULT_BIND_HOST,
                Optional.empty(),
                DEFAULT_PORT,
                List.of(),
                DEFAULT_HEARTBEAT_INTERVAL,
                DEFAULT_MAX_NO_HEARTBEAT,
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
    }

    public ClusterConfig withNodeId(String id) {
        return new ClusterConfig(
                id,
                clusterName,
                bindHost,
                advertiseAddress,
                port,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                kubernetesApi,
                secret);
    }

    public ClusterConfig withClusterName(String name) {
        return new ClusterConfig(
                nodeId,
                name,
                bindHost,
                advertiseAddress,
                port,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                kubernetesApi,
                secret);
    }

    public ClusterConfig withBindHost(String host) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                host,
                advertiseAddress,
                port,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                kubernetesApi,
                secret);
    }

    public ClusterConfig withAdvertiseAddress(String address) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                bindHost,
                Optional.of(address),
                port,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                kubernetesApi,
                secret);
    }

    public ClusterConfig withPort(int memberPort) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                bindHost,
                advertiseAddress,
                memberPort,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                kubernetesApi,
                secret);
    }

    public ClusterConfig withPeers(List<String> addresses) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                bindHost,
                advertiseAddress,
                port,
                addresses,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                kubernetesApi,
                secret);
    }

    public ClusterConfig withFailureDetection(Duration interval, Duration maxSilence) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                bindHost,
                advertiseAddress,
                port,
                peers,
                interval,
                maxSilence,
                kubernetesServiceDns,
                kubernetesApi,
                secret);
    }

    public ClusterConfig withKubernetesServiceDns(String dns) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                bindHost,
                advertiseAddress,
                port,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                Optional.of(dns),
                kubernetesApi,
                secret);
    }

    /** The same settings, joining with {@code clusterSecret}. */
    public ClusterConfig withSecret(ClusterSecret clusterSecret) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                bindHost,
                advertiseAddress,
                port,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                kubernetesApi,
                Optional.of(clusterSecret));
    }

    public ClusterConfig withKubernetesApi(KubernetesApi api) {
        return new ClusterConfig(
                nodeId,
                clusterName,
                bindHost,
                advertiseAddress,
                port,
                peers,
                heartbeatInterval,
                maxNoHeartbeat,
                kubernetesServiceDns,
                Optional.of(api),
                secret);
    }

    /**
     * Splits {@code host:port} ({@code [v6]:port} for IPv6); with {@code portOptional} a bare host
     * is accepted and its port is -1.
     */
    static HostPort parseAddress(String key, String value, boolean portOptional) {
        require(value != null && !value.isBlank(), key, value, "host:port");
        int colon = value.lastIndexOf(':');
        boolean bracketed = value.startsWith("[");
        boolean hasPort = colon > 0 && (!bracketed || value.charAt(colon - 1) == ']');
        if (!hasPort) {
            require(portOptional && HOST.matcher(value).matches(), key, value, "host:port");
            return new HostPort(value, -1);
        }
        String host = value.substring(0, colon);
        String portText = value.substring(colon + 1);
        require(HOST.matcher(host).matches(), key, value, "host:port with a valid host");
        require(
                portText.matches("\\d{1,5}") && Integer.parseInt(portText) >= 1 && Integer.parseInt(portText) <= 65535,
                key,
                value,
                "host:port with a port from 1 to 65535");
        return new HostPort(host, Integer.parseInt(portText));
    }

    record HostPort(String host, int port) {}

    private static void requireWholeSeconds(String key, Duration d) {
        require(
                d != null && d.getNano() == 0 && d.getSeconds() >= 1 && d.getSeconds() <= 3600,
                key,
                d,
                "a whole number of seconds from 1 to 3600");
    }

    private static void require(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("cluster config '" + key + "' is " + value + "; expected " + expected);
        }
    }
}
