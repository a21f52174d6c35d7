package dev.modelmux.node;

import static dev.modelmux.node.Requests.floats;
import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.modelmux.cluster.ClusterConfig;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.node.OipClient.Reply;
import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.security.TlsConfig;
import dev.modelmux.node.security.TlsMaterial;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.common.GrpcStatus;
import java.math.BigInteger;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on real nodes, with a CA and certificates made in the test: TLS clients are served and plain ones
 * refused, a client CA makes every caller (but the health probes) present a certificate, two nodes forward
 * to each other over mutual TLS, and new certificate files take effect without a restart.
 */
class TlsTest {
    @TempDir
    Path tmp;

    private final float[] x = ramp(16, 1f);

    @Test
    void tlsClientsAreServedAndPlainOnesRefused() throws Exception {
        TestPki ca = TestPki.create("test-ca");
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        ca.issue("node").write(tls.resolve("tls.crt"), tls.resolve("tls.key"));
        ca.writeCa(tls.resolve("ca.crt"));
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3);
        try (NodeFixture node =
                        start(repo, "a", TlsConfig.of(tls.resolve("tls.crt"), tls.resolve("tls.key")), List.of());
                OipClient secure = client(node, tls.resolve("ca.crt"), null, ca.clientContext())) {
            ModelInferResponse r = secure.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                    .ok();
            assertThat(r.getModelName()).isEqualTo("m");
            assertThat(secure.get("/v2/health/ready").status()).isEqualTo(200);
            OipClient.Http rest = secure.post(
                    "/v2/models/m/infer",
                    "{\"inputs\":[{\"name\":\"input\",\"datatype\":\"FP32\",\"shape\":[1,16],\"data\":"
                            + Arrays.toString(x) + "}]}");
            assertThat(rest.status()).as(rest.body()).isEqualTo(200);

            // The fixture's own client speaks plain text: refused on both ports.
            Reply<ModelInferResponse> plain =
                    node.client.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16));
            assertThat(plain.status()).isNotEqualTo(GrpcStatus.OK);
            assertThatThrownBy(() -> node.client.get("/v2/health/ready")).isInstanceOf(RuntimeException.class);
            // A client that does not trust the node's CA does not get through the handshake.
            assertThatThrownBy(() -> serialAt(
                            node.node.httpPort(), TestPki.create("other-ca").clientContext()))
                    .isInstanceOf(Exception.class);
        }
    }

    @Test
    void withAClientCaEveryCallerButTheProbesPresentsACertificate() throws Exception {
        TestPki ca = TestPki.create("test-ca");
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        ca.issue("node").write(tls.resolve("tls.crt"), tls.resolve("tls.key"));
        ca.writeCa(tls.resolve("ca.crt"));
        TestPki.Issued caller = ca.issue("caller");
        caller.write(tls.resolve("caller.crt"), tls.resolve("caller.key"));
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3);
        TlsConfig config =
                TlsConfig.of(tls.resolve("tls.crt"), tls.resolve("tls.key")).withClientCa(tls.resolve("ca.crt"));
        try (NodeFixture node = start(repo, "a", config, List.of());
                OipClient anonymous = client(node, tls.resolve("ca.crt"), null, ca.clientContext());
                OipClient known = client(
                        node,
                        tls.resolve("ca.crt"),
                        new Path[] {tls.resolve("caller.crt"), tls.resolve("caller.key")},
                        caller.context(ca))) {
            // gRPC: a handshake without a client certificate fails.
            assertThat(anonymous
                            .call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                            .status())
                    .isNotEqualTo(GrpcStatus.OK);
            assertThat(known.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                            .ok()
                            .getModelName())
                    .isEqualTo("m");
            // REST: the probes' paths answer anyone; everything else needs the certificate.
            assertThat(anonymous.get("/v2/health/live").status()).isEqualTo(200);
            assertThat(anonymous.get("/v2/health/ready").status()).isEqualTo(200);
            OipClient.Http refused = anonymous.get("/v2/models/m");
            assertThat(refused.status()).isEqualTo(401);
            assertThat(refused.body()).contains("client certificate");
            assertThat(anonymous.post("/v2/models/m/infer", "{}").status()).isEqualTo(401);
            assertThat(known.get("/v2/models/m").status()).isEqualTo(200);
            // A certificate from another CA is refused: at the handshake if the client sends it, or by the gate
            // (the JDK's client sends none, as it is not from an issuer the server names).
            TestPki other = TestPki.create("other-ca");
            TestPki.Issued stranger = other.issue("stranger");
            stranger.write(tls.resolve("stranger.crt"), tls.resolve("stranger.key"));
            try (OipClient strange = client(
                    node,
                    tls.resolve("ca.crt"),
                    new Path[] {tls.resolve("stranger.crt"), tls.resolve("stranger.key")},
                    stranger.context(ca))) {
                assertThat(strange.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                                .status())
                        .isNotEqualTo(GrpcStatus.OK);
                int status;
                try {
                    status = strange.get("/v2/models/m").status();
                } catch (RuntimeException handshakeFailed) {
                    status = -1;
                }
                assertThat(status).isIn(-1, 401);
            }
        }
    }

    @Test
    void twoNodesForwardOverMutualTls() throws Exception {
        TestPki ca = TestPki.create("mesh-ca");
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        // Like the chart: every node mounts the same Secret (tls.crt, tls.key, ca.crt).
        ca.issue("modelmux").write(tls.resolve("tls.crt"), tls.resolve("tls.key"));
        ca.writeCa(tls.resolve("ca.crt"));
        TlsConfig config =
                TlsConfig.of(tls.resolve("tls.crt"), tls.resolve("tls.key")).withClientCa(tls.resolve("ca.crt"));
        Path[] me = {tls.resolve("tls.crt"), tls.resolve("tls.key")};
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3);
        // a has no room for m (~300 KiB), so only a forward to b can answer at a.
        try (NodeFixture a = start(repo, "a", config, List.of(), 64L << 10);
                NodeFixture b = start(repo, "b", config, List.of("127.0.0.1:" + a.node.clusterPort()));
                OipClient atA = client(a, tls.resolve("ca.crt"), me, null);
                OipClient atB = client(b, tls.resolve("ca.crt"), me, null)) {
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.meshNodes().contains("node-b")
                            && b.node.meshNodes().contains("node-a"));
            float[] atHolder = floats(
                    atB.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                            .ok(),
                    0);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> a.node.copies("m", 1).size() == 1);
            ModelInferResponse forwarded = atA.call(
                            GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                    .ok();
            assertThat(floats(forwarded, 0)).containsExactly(atHolder);
            assertThat(a.node.pool().resident(new ModelKey("m", 1))).isEmpty();
            assertThat(atA.getWithToken("/metrics").body()).contains("outcome=\"forwarded\"");
            assertThat(atB.getWithToken("/metrics").body()).doesNotContain("modelmux_hop_refused_total{");
        }
    }

    @Test
    void newCertificateFilesTakeEffectWithoutARestart() throws Exception {
        TestPki ca = TestPki.create("test-ca");
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        Path crt = tls.resolve("tls.crt");
        Path key = tls.resolve("tls.key");
        TestPki.Issued first = ca.issue("node");
        first.write(crt, key);
        ca.writeCa(tls.resolve("ca.crt"));
        TestRepo repo = new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3);
        TlsConfig config = TlsConfig.of(crt, key).withReloadInterval(Duration.ofMillis(100));
        try (NodeFixture node = start(repo, "a", config, List.of());
                OipClient secure = client(node, tls.resolve("ca.crt"), null, ca.clientContext())) {
            int grpc = node.node.grpcPort();
            int http = node.node.httpPort();
            assertThat(serialAt(grpc, ca.clientContext())).isEqualTo(first.serial());
            assertThat(serialAt(http, ca.clientContext())).isEqualTo(first.serial());

            // A rotation caught half way (the new certificate, the old key) is refused; the old one serves on.
            TestPki.Issued second = ca.issue("node");
            second.writeCert(crt);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> secure.getWithToken("/metrics")
                            .body()
                            .contains("modelmux_tls_reloads_total{outcome=\"refused\"} 1.0"));
            assertThat(serialAt(http, ca.clientContext())).isEqualTo(first.serial());

            // The key arrives: new handshakes on every port see the new certificate.
            second.writeKey(key);
            await().atMost(NodeFixture.PATIENCE)
                    .until(() -> second.serial().equals(serialAt(grpc, ca.clientContext()))
                            && second.serial().equals(serialAt(http, ca.clientContext())));
            assertThat(secure.getWithToken("/metrics").body())
                    .contains("modelmux_tls_reloads_total{outcome=\"applied\"} 1.0")
                    .contains("modelmux_tls_certificate_expiry_seconds");
            try (OipClient fresh = client(node, tls.resolve("ca.crt"), null, ca.clientContext())) {
                assertThat(fresh.call(GRPCInferenceServiceGrpcClient.ModelInfer, fp32("m", "input", x, 1, 16))
                                .ok()
                                .getModelName())
                        .isEqualTo("m");
            }
        }
    }

    @Test
    void filesThatDoNotFitFailTheStartNamingTheKey() throws Exception {
        TestPki ca = TestPki.create("test-ca");
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        TestPki.Issued one = ca.issue("one");
        TestPki.Issued two = ca.issue("two");
        one.writeCert(tls.resolve("one.crt"));
        two.writeKey(tls.resolve("two.key"));
        one.writeKey(tls.resolve("one.key"));
        Files.writeString(
                tls.resolve("junk.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        Vertx vertx = Vertx.vertx();
        try {
            assertThatThrownBy(
                            () -> TlsMaterial.read(vertx, TlsConfig.of(tls.resolve("one.crt"), tls.resolve("two.key"))))
                    .hasMessageStartingWith("tls-key:")
                    .hasMessageContaining("is not the key of the first certificate");
            assertThatThrownBy(() ->
                            TlsMaterial.read(vertx, TlsConfig.of(tls.resolve("junk.pem"), tls.resolve("one.key"))))
                    .hasMessageStartingWith("tls-cert:");
            assertThatThrownBy(() ->
                            TlsMaterial.read(vertx, TlsConfig.of(tls.resolve("one.crt"), tls.resolve("junk.pem"))))
                    .hasMessageStartingWith("tls-key:");
            assertThatThrownBy(() -> TlsMaterial.read(
                            vertx,
                            TlsConfig.of(tls.resolve("one.crt"), tls.resolve("one.key"))
                                    .withClientCa(tls.resolve("junk.pem"))))
                    .hasMessageStartingWith("tls-client-ca:");
            assertThat(TlsMaterial.read(vertx, TlsConfig.of(tls.resolve("one.crt"), tls.resolve("one.key")))
                            .serial())
                    .isEqualTo(one.serial());
        } finally {
            NodeFixture.await(vertx.close());
        }
    }

    private NodeFixture start(TestRepo repo, String name, TlsConfig tls, List<String> peers) {
        return start(repo, name, tls, peers, 256L << 20);
    }

    private NodeFixture start(TestRepo repo, String name, TlsConfig tls, List<String> peers, long budgetBytes) {
        NodeConfig c = NodeFixture.config(repo.root, tmp.resolve(name), budgetBytes, ControlMode.POLL)
                .withCluster(
                        ClusterConfig.defaults().withNodeId("node-" + name).withPeers(peers),
                        NodeFixture.CLUSTER_SECRET);
        return new NodeFixture(
                NodeFixture.await(MeshNode.start(c.withServing(c.serving().withTls(tls)))));
    }

    /**
     * A TLS client of {@code node}: gRPC trusting {@code caFile} (and presenting {@code certAndKey} when
     * given), REST over {@code rest} (the JDK's client, which verifies the host name: 127.0.0.1 is in
     * the certificates).
     */
    private static OipClient client(NodeFixture node, Path caFile, Path[] certAndKey, SSLContext rest) {
        HttpClientOptions options = new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setSsl(true)
                .setUseAlpn(true)
                .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString()));
        if (certAndKey != null) {
            options.setKeyCertOptions(new PemKeyCertOptions()
                    .setCertPath(certAndKey[0].toString())
                    .setKeyPath(certAndKey[1].toString()));
        }
        GrpcClient grpc =
                GrpcClient.client(node.node.vertx(), new GrpcClientOptions().setMaxMessageSize(256L << 20), options);
        SSLContext ctx = rest != null ? rest : restContext(node.node.vertx(), caFile, certAndKey);
        HttpClient http = HttpClient.newBuilder()
                .sslContext(ctx)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        return new OipClient(grpc, http, "https", node.node.grpcPort(), node.node.httpPort());
    }

    /** The JDK's SSL context for a node's own files (certificate and key as PEM). */
    private static SSLContext restContext(Vertx vertx, Path caFile, Path[] certAndKey) {
        try {
            {
                TrustManagerFactory tmf =
                        new PemTrustOptions().addCertPath(caFile.toString()).getTrustManagerFactory(vertx);
                KeyManagerFactory kmf = certAndKey == null
                        ? null
                        : new PemKeyCertOptions()
                                .setCertPath(certAndKey[0].toString())
                                .setKeyPath(certAndKey[1].toString())
                                .getKeyManagerFactory(vertx);
                SSLContext ctx = SSLContext.getInstance("TLS");
                ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
                return ctx;
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The serial of the certificate a new handshake with {@code port} sees. */
    private static BigInteger serialAt(int port, SSLContext ctx) throws Exception {
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            s.startHandshake();
            return ((X509Certificate) s.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }
}
