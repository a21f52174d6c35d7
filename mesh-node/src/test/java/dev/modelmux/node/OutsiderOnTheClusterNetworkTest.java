package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.nio.serialization.genericrecord.GenericRecord;
import com.hazelcast.nio.serialization.genericrecord.GenericRecordBuilder;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.grpc.common.GrpcStatus;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack of issue 14 on a real node: a process on the cluster network that knows the derived
 * Hazelcast cluster name (stolen, say from a packet capture) but not the cluster secret joins as a
 * member under the id {@code 0rogue} and writes, with plain Hazelcast and the mesh's type names,
 * a tenants document with its own key, an endpoints document, a drain of the node, a node record pointing at its own port
 * and a placement entry saying it holds the model. The node applies none of it, forwards nothing
 * to it, keeps leading the mesh, and counts what it refused.
 */
class OutsiderOnTheClusterNetworkTest {
    private static final String OPS_KEY = "key-ops-0123456789";
    private static final String ROGUE_KEY = "key-rogue-0123456789";

    @TempDir
    Path tmp;

    @Test
    void forgedEntriesAreNotAppliedNothingIsForwardedToTheOutsiderAndItNeverLeads() throws Exception {
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 50_000, 1);
        Path tenants = tmp.resolve("tenants.yaml");
        Files.writeString(tenants, tenantsYaml("ops", OPS_KEY));
        NodeConfig config = NodeFixture.config(repo.root, tmp.resolve("data"), 256L << 20, ControlMode.POLL)
                .withCluster(ClusterConfig.defaults().withNodeId("node-a"), NodeFixture.CLUSTER_SECRET)
                .withTenants(tenants);
        AtomicInteger dialled = new AtomicInteger();
        try (NodeFixture a = new NodeFixture(NodeFixture.await(MeshNode.start(config)));
                ServerSocket rogueGrpc = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> countConnections(rogueGrpc, dialled), "rogue-grpc");
            acceptor.setDaemon(true);
            acceptor.start();
            await().atMost(NodeFixture.PATIENCE).until(() -> a.node.leadsMesh());
            HazelcastInstance outsider = outsider(derivedClusterName(), a.node.clusterPort());
            try {
                assertThat(outsider.getCluster().getMembers()).hasSize(2);
                forge(outsider, rogueGrpc.getLocalPort());

                await().atMost(NodeFixture.PATIENCE).untilAsserted(() -> {
                    String metrics = a.client.getWithToken("/metrics").body();
                    for (String map : new String[] {"documents", "drains", "nodes", "placements"}) {
                        assertThat(forged(metrics, map)).as(map).isPositive();
                    }
                });

                ModelInferRequest m = fp32("m", "input", ramp(16, 1f), 1, 16);
                assertThat(a.client
                                .call(
                                        GRPCInferenceServiceGrpcClient.ModelInfer,
                                        m,
                                        Map.of("authorization", "Bearer " + ROGUE_KEY))
                                .status())
                        .isEqualTo(GrpcStatus.UNAUTHENTICATED);
                assertThat(a.client
                                .call(
                                        GRPCInferenceServiceGrpcClient.ModelInfer,
                                        m,
                                        Map.of("authorization", "Bearer " + OPS_KEY))
                                .ok()
                                .getModelName())
                        .isEqualTo("m");
                assertThat(a.node.pool().resident(new ModelKey("m", 1))).isPresent();
                assertThat(a.node.endpoints().knows("evil")).isFalse();
                assertThat(a.client.getWithToken("/metrics").body()).doesNotContain("outcome=\"forwarded\"");
                assertThat(dialled).hasValue(0);

                assertThat(a.node.meshNodes()).containsExactly("node-a");
                assertThat(a.node.leadsMesh()).isTrue();
                JsonObject view =
                        new JsonObject(a.client.getWithToken("/api/v1/cluster").body());
                assertThat(view.getJsonArray("nodes").getJsonObject(0).getString("id"))
                        .isEqualTo("node-a");
                assertThat(view.getJsonArray("nodes").encode()).doesNotContain("0rogue");
                assertThat(view.encode()).doesNotContain("\"draining\":true");
            } finally {
                outsider.getLifecycleService().terminate();
            }
        }
    }

    /** Writes forged entries with plain Hazelcast: the mesh's type names, a tag made without the key. */
    private static void forge(HazelcastInstance outsider, int rogueGrpcPort) {
        long now = System.currentTimeMillis();
        GenericRecord document = GenericRecordBuilder.compact("modelmux.SharedDocument")
                .setString("name", "tenants")
                .setInt64("version", 99)
                .setString("text", tenantsYaml("rogue", ROGUE_KEY))
                .setString("updatedBy", "node-a")
                .setInt64("updatedAtMillis", now)
                .setString("note", "")
                .build();
        outsider.getMap("modelmux.documents")
                .set(
                        "tenants",
                        GenericRecordBuilder.compact("modelmux.StoredDocument")
                                .setGenericRecord("document", document)
                                .setArrayOfInt8("tag", randomTag())
                                .build());
        outsider.getMap("modelmux.documents")
                .set(
                        "endpoints",
                        GenericRecordBuilder.compact("modelmux.StoredDocument")
                                .setGenericRecord(
                                        "document",
                                        GenericRecordBuilder.compact("modelmux.SharedDocument")
                                                .setString("name", "endpoints")
                                                .setInt64("version", 99)
                                                .setString(
                                                        "text",
                                                        "endpoints:\n  - name: evil\n    policy:\n      type: single\n"
                                                                + "      targets: [{model: m, version: 1}]\n")
                                                .setString("updatedBy", "node-a")
                                                .setInt64("updatedAtMillis", now)
                                                .setString("note", "")
                                                .build())
                                .setArrayOfInt8("tag", randomTag())
                                .build());
        outsider.getMap("modelmux.operator.drains")
                .set(
                        "node-a",
                        GenericRecordBuilder.compact("modelmux.StoredFlag")
                                .setInt64("sinceMillis", now)
                                .setArrayOfInt8("tag", randomTag())
                                .build());
        GenericRecord record = GenericRecordBuilder.compact("modelmux.NodeRecord")
                .setString("nodeId", "0rogue")
                .setString("grpcHost", "127.0.0.1")
                .setInt32("grpcPort", rogueGrpcPort)
                .setArrayOfGenericRecord("devices", new GenericRecord[0])
                .setBoolean("draining", false)
                .setInt64("updatedAtMillis", now)
                .build();
        outsider.getMap("modelmux.nodes")
                .set(
                        "0rogue",
                        GenericRecordBuilder.compact("modelmux.RegistryEntry")
                                .setGenericRecord("record", record)
                                .setString(
                                        "memberUuid",
                                        outsider.getCluster()
                                                .getLocalMember()
                                                .getUuid()
                                                .toString())
                                .setArrayOfInt8("tag", randomTag())
                                .build());
        GenericRecord copy = GenericRecordBuilder.compact("modelmux.Copy")
                .setString("nodeId", "0rogue")
                .setString("deviceId", "cpu0")
                .setString("state", "READY")
                .setString("reason", "")
                .setInt64("bytes", 1)
                .setInt64("lastUsedMillis", now)
                .setFloat64("requestRate", 100)
                .setInt64("stateSinceMillis", now)
                .setInt64("version", 1)
                .build();
        GenericRecord key = GenericRecordBuilder.compact("modelmux.ModelKey")
                .setString("model", "m")
                .setInt64("version", 1)
                .build();
        outsider.getMap("modelmux.placements")
                .set(
                        key,
                        GenericRecordBuilder.compact("modelmux.StoredCopies")
                                .setArrayOfGenericRecord("copies", new GenericRecord[] {copy})
                                .setArrayOfInt8("tag", randomTag())
                                .build());
    }

    /**
     * The name a holder of the secret derives (what the outsider is assumed to have stolen; the
     * secret itself it never has). Derived here from the documented formula: if the two drift
     * apart, the outsider cannot join and the test fails on the member count.
     */
    private static String derivedClusterName() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(NodeFixture.CLUSTER_SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String label = ClusterConfig.DEFAULT_CLUSTER_NAME;
        byte[] name = mac.doFinal(("modelmux cluster name v1\n" + label).getBytes(StandardCharsets.UTF_8));
        return label + "-" + HexFormat.of().formatHex(name).substring(0, 32);
    }

    /** A plain Hazelcast lite member that calls itself node {@code 0rogue}, the smallest id. */
    private static HazelcastInstance outsider(String clusterName, int memberPort) {
        Config config = new Config();
        config.setClusterName(clusterName);
        config.setLiteMember(true);
        config.setProperty("hazelcast.logging.type", "slf4j");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.getMemberAttributeConfig().setAttribute("modelmux.node-id", "0rogue");
        NetworkConfig network = config.getNetworkConfig();
        network.setPort(0).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + memberPort);
        return Hazelcast.newHazelcastInstance(config);
    }

    private static String tenantsYaml(String id, String key) {
        return "tenants:\n"
                + "  - id: " + id + "\n"
                + "    key_sha256: [" + TenantPolicy.sha256Hex(key) + "]\n"
                + "    models: [\"*\"]\n";
    }

    private static byte[] randomTag() {
        byte[] tag = new byte[16];
        new SecureRandom().nextBytes(tag);
        return tag;
    }

    private static double forged(String metrics, String map) {
        Matcher m = Pattern.compile(
                        "(?m)^modelmux_cluster_forged_entries_total\\{[^}]*map=\"" + map + "\"[^}]*\\} ([0-9.eE+]+)$")
                .matcher(metrics);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static void countConnections(ServerSocket server, AtomicInteger dialled) {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                dialled.incrementAndGet();
            } catch (Exception closed) {
                return;
            }
        }
    }
}
