package dev.modelmux.cluster.internal;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import dev.modelmux.cluster.MeshCluster;

/**
 * A process on the cluster network that is not a node of the mesh: a plain Hazelcast member on
 * loopback that dials a node's member port, with whatever cluster name it guessed or stole. It
 * has no key; with {@code ourSerializers} it also has the mesh's code (it is open source), so it
 * can write values of the mesh's types. A lite member owns no partitions, so what it writes lives on
 * the mesh's members and every operation runs there.
 */
final class Outsider {

    private Outsider() {}

    static HazelcastInstance member(String clusterName, MeshCluster dial, boolean ourSerializers) {
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setLiteMember(true);
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.getMemberAttributeConfig().setAttribute(HazelcastConfigs.NODE_ID_ATTRIBUTE, "0rogue");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(0).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        config.setProperty("hazelcast.socket.bind.any", "false");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember(address(dial));
        if (ourSerializers) {
            Serializers.register(config.getSerializationConfig().getCompactSerializationConfig());
        }
        return Hazelcast.newHazelcastInstance(config);
    }

    static String address(MeshCluster member) {
        return "127.0.0.1:" + member.memberPort();
    }
}
