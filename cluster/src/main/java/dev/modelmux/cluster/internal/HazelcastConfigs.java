package dev.modelmux.cluster.internal;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.InMemoryFormat;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.KubernetesConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.cluster.ClusterSecret;
import java.util.List;

/**
 * Builds the Hazelcast member configuration in code from a {@link ClusterConfig}; no XML, no
 * classpath defaults (Vert.x's bundled {@code default-cluster.xml} turns multicast on).
 *
 * <p>Why Hazelcast directly rather than through vertx-hazelcast's cluster manager: the mesh does
 * not use the clustered event bus (forwarding between nodes is gRPC), so the cluster manager would
 * only add a layer, its own maps and its own defaults around the three maps we need; keeping
 * Hazelcast here also keeps this module free of Vert.x.
 */
public final class HazelcastConfigs {

    /** Member attribute carrying the modelmux node id. */
    public static final String NODE_ID_ATTRIBUTE = "modelmux.node-id";

    static final String NODES_MAP = "modelmux.nodes";
    static final String CATALOG_MAP = "modelmux.catalog";
    static final String PLACEMENTS_MAP = "modelmux.placements";
    static final String DOCUMENTS_MAP = "modelmux.documents";
    static final String FEATURES_MAP = "modelmux.features";
    /** Seconds before the first split-brain merge check, and between later ones. */
    static final int MERGE_FIRST_RUN_DELAY_SECONDS = 5;

    static final int MERGE_NEXT_RUN_DELAY_SECONDS = 5;

    private HazelcastConfigs() {}

    /**
     * Java classes a member may deserialize with Java serialization: what Hazelcast itself sends that
     * way (its exceptions, and the JDK's within them). Everything the mesh stores or sends is Compact;
     * nothing of ours is listed, so no class of the application (or a library on its class path) is
     * ever instantiated from the wire.
     */
    static final List<String> JAVA_SERIALIZATION_PREFIXES = List.of(
            "com.hazelcast.", "java.lang.", "java.util.", "java.time.", "java.math.", "java.net.", "java.io.", "[");
    /** Listed although under an allowed prefix: reflection, method handles and lambdas. */
    static final List<String> JAVA_SERIALIZATION_REFUSED =
            List.of("java.lang.reflect.", "java.lang.invoke.", "java.util.logging.");

    /**
     * The member's configuration: the Hazelcast cluster name derived from {@code cluster}'s secret
     * (which must be present), {@code tags} bound into the mesh's entry processors and merge
     * policies, and Java deserialization filtered.
     */
    static Config build(ClusterConfig cluster, EntryTags tags) {
        Config config = new Config();
        ClusterSecret secret = cluster.secret()
                .orElseThrow(() -> new IllegalArgumentException("cluster-secret: the member config needs the secret"));
        config.setClusterName(ClusterKeys.clusterName(secret, cluster.clusterName()));
        config.setManagedContext(new Binder(tags));
        config.getMemberAttributeConfig().setAttribute(NODE_ID_ATTRIBUTE, cluster.nodeId());

        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        // The node owns shutdown order: it leaves the cluster after it stops taking traffic.
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty(
                "hazelcast.heartbeat.interval.seconds",
                Long.toString(cluster.heartbeatInterval().getSeconds()));
        config.setProperty(
                "hazelcast.max.no.heartbeat.seconds",
                Long.toString(cluster.maxNoHeartbeat().getSeconds()));
        config.setProperty("hazelcast.heartbeat.failuredetector.type", "phi-accrual");
        config.setProperty("hazelcast.merge.first.run.delay.seconds", Integer.toString(MERGE_FIRST_RUN_DELAY_SECONDS));
        config.setProperty("hazelcast.merge.next.run.delay.seconds", Integer.toString(MERGE_NEXT_RUN_DELAY_SECONDS));

        network(config, cluster);
        maps(config);
        HazelcastOperatorState.configure(config);
        Serializers.register(config.getSerializationConfig().getCompactSerializationConfig());
        config.getSerializationConfig()
                .setJavaSerializationFilterConfig(new JavaSerializationFilterConfig()
                        .setDefaultsDisabled(true)
                        .setWhitelist(new ClassFilter().setPrefixes(JAVA_SERIALIZATION_PREFIXES))
                        .setBlacklist(new ClassFilter().setPrefixes(JAVA_SERIALIZATION_REFUSED)));
        return config;
    }

    private static void network(Config config, ClusterConfig cluster) {
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(cluster.port()).setPortAutoIncrement(false);
        boolean anyInterface = "0.0.0.0".equals(cluster.bindHost());
        if (!anyInterface) {
            network.getInterfaces().setEnabled(true).addInterface(cluster.bindHost());
        }
        config.setProperty("hazelcast.socket.bind.any", Boolean.toString(anyInterface));
        cluster.advertiseAddress().ifPresent(network::setPublicAddress);

        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        if (cluster.kubernetesServiceDns().isPresent()) {
            join.getTcpIpConfig().setEnabled(false);
            kubernetesPort(
                    join.getKubernetesConfig()
                            .setEnabled(true)
                            .setProperty(
                                    "service-dns",
                                    cluster.kubernetesServiceDns().get()),
                    cluster);
        } else if (cluster.kubernetesApi().isPresent()) {
            ClusterConfig.KubernetesApi api = cluster.kubernetesApi().get();
            join.getTcpIpConfig().setEnabled(false);
            KubernetesConfig k8s =
                    join.getKubernetesConfig().setEnabled(true).setProperty("service-name", api.serviceName());
            api.namespace().ifPresent(ns -> k8s.setProperty("namespace", ns));
            kubernetesPort(k8s, cluster);
        } else {
            // Enabled even with no peers: members only accept joiners of the same join type.
            join.getTcpIpConfig().setEnabled(true).setMembers(cluster.peers());
        }
    }

    /**
     * Every pod listens on the same member port; without {@code service-port} Hazelcast's DNS mode
     * would dial 5701 whatever port the members use.
     */
    private static void kubernetesPort(KubernetesConfig k8s, ClusterConfig cluster) {
        if (cluster.port() > 0) {
            k8s.setProperty("service-port", Integer.toString(cluster.port()));
        }
    }

    private static void maps(Config config) {
        config.addMapConfig(new MapConfig(NODES_MAP).setBackupCount(1));
        config.addMapConfig(new MapConfig(CATALOG_MAP).setBackupCount(1));
        MapConfig placements = new MapConfig(PLACEMENTS_MAP).setBackupCount(1).setInMemoryFormat(InMemoryFormat.BINARY);
        placements.getMergePolicyConfig().setPolicy(CopyUnionMergePolicy.class.getName());
        config.addMapConfig(placements);
        MapConfig documents = new MapConfig(DOCUMENTS_MAP).setBackupCount(1);
        documents.getMergePolicyConfig().setPolicy(DocumentMergePolicy.class.getName());
        config.addMapConfig(documents);
        // Feature values: one backup, so losing a member loses none; no eviction (the store is
        // the source of truth for the values loaded into it).
        config.addMapConfig(new MapConfig(FEATURES_MAP).setBackupCount(1));
    }
}
