package dev.modelmux.repo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.RepositoryOptions;
import dev.modelmux.repo.S3Options;
import dev.modelmux.repo.testing.S3TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 repository against a real S3 API server (S3Proxy on a filesystem blob store, loopback). */
class S3ModelRepositoryTest {
    private static final byte[] MLP = OnnxModelBuilder.mlp().build();
    private static final byte[] MLP2 = OnnxModelBuilder.mlp().seed(7).build();
    private static final String BATCHED = "max_batch_size: 8\n"
            + "input { name: \"input\" data_type: TYPE_FP32 dims: [16] }\n"
            + "output { name: \"output\" data_type: TYPE_FP32 dims: [4] }\n";

    @TempDir
    Path tmp;

    private S3TestServer server;

    @BeforeEach
    void start() throws Exception {
        server = new S3TestServer(Files.createDirectories(tmp.resolve("blobs")), "models");
    }

    @AfterEach
    void stop() {
        server.closeQuietly();
    }

    private S3Options options() {
        return S3Options.defaults()
                .withEndpoint(server.endpoint())
                .withRegion("us-east-1")
                .withPathStyle(true)
                .withCacheDir(tmp.resolve("cache"))
                .withTimeout(Duration.ofSeconds(2));
    }

    private ModelRepository open(String prefix, S3Options options) throws RepositoryException {
        return ModelRepository.open(server.root(prefix), RepositoryOptions.defaults(), options);
    }

    @Test
    void listsScansAndReadsModelsUnderThePrefix() throws Exception {
        server.upload("team-a/alpha/config.pbtxt", BATCHED.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        server.put("team-a/alpha/1/model.onnx", MLP);
        server.put("team-a/alpha/2/model.onnx", MLP2);
        server.put("team-a/alpha/labels.txt", "cat\ndog\n");
        server.put("team-a/beta/3/model.onnx", MLP); // no config
        server.put("team-a/gamma/config.pbtxt", "max_batch_size: -4");
        server.put("team-a/README.md", "not a model");
        server.put("team-a/.hidden/1/model.onnx", MLP); // not a valid model name
        server.put("team-b/other/1/model.onnx", MLP); // another prefix

        try (ModelRepository repo = open("team-a", options())) {
            assertThat(repo.describe()).isEqualTo("s3://models/team-a/");
            assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");

            ModelEntry alpha = repo.scan("alpha");
            assertThat(alpha.config()).isPresent();
            assertThat(alpha.config().get().getMaxBatchSize()).isEqualTo(8);
            assertThat(alpha.versions())
                    .extracting(ModelEntry.VersionEntry::version)
                    .containsExactly(1L, 2L);
            assertThat(alpha.versions().get(0).sizeBytes()).isEqualTo(MLP.length);
            assertThat(alpha.servedVersions()).containsExactly(2L);

            ModelEntry beta = repo.scan("beta");
            assertThat(beta.config()).isEmpty();
            assertThat(beta.configError()).isEmpty();
            assertThat(beta.servedVersions()).containsExactly(3L);

            assertThat(repo.scan("gamma").configError())
                    .hasValueSatisfying(e -> assertThat(e).contains("gamma").contains("config.pbtxt"));

            Artifact a = repo.read("alpha", 1);
            assertThat(a.bytes()).isEqualTo(MLP);
            assertThat(a.sha256()).isEqualTo(sha256(MLP));
            assertThat(repo.readLabels("alpha", "labels.txt")).containsExactly("cat", "dog");

            assertThatThrownBy(() -> repo.scan("missing")).isInstanceOf(RepositoryException.NotFound.class);
            assertThatThrownBy(() -> repo.read("alpha", 9)).isInstanceOf(RepositoryException.NotFound.class);
            assertThatThrownBy(() -> repo.scan("../team-b/other"))
                    .isInstanceOf(ModelNames.InvalidModelNameException.class);
            assertThatThrownBy(() -> repo.readLabels("alpha", "../../team-b/x"))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessageContaining("not a plain file name");
        }
    }

    @Test
    void listsMoreThanAThousandKeysAcrossPages() throws Exception {
        int models = 1_005;
        for (int i = 0; i < models; i++) {
            server.put(String.format("many/m%04d/config.pbtxt", i), BATCHED);
        }
        server.put("many/m0000/1/model.onnx", MLP);
        try (ModelRepository repo = open("many/", options())) {
            assertThat(repo.listModels()).hasSize(models).startsWith("m0000").endsWith("m1004");
            assertThat(repo.scan("m1004").config()).isPresent();
            assertThat(repo.scan("m0000").servedVersions()).containsExactly(1L);
        }
    }

    @Test
    void aChangeIsFoundByETagAndOnlyWhatChangedIsReadAgain() throws Exception {
        server.put("r/alpha/config.pbtxt", BATCHED);
        server.put("r/alpha/1/model.onnx", MLP);
        try (ModelRepository repo = open("r", options())) {
            repo.listModels();
            String before = repo.scan("alpha").fingerprint();
            int gets = server.gets.get();
            repo.listModels();
            assertThat(repo.scan("alpha").fingerprint()).isEqualTo(before);
            assertThat(server.gets.get())
                    .as("an unchanged config is not downloaded again")
                    .isEqualTo(gets);

            // Same size, same second: only the ETag tells.
            assertThat(MLP2).hasSameSizeAs(MLP);
            server.put("r/alpha/1/model.onnx", MLP2);
            repo.listModels();
            assertThat(repo.scan("alpha").fingerprint()).isNotEqualTo(before);
            assertThat(repo.read("alpha", 1).sha256()).isEqualTo(sha256(MLP2));
        }
    }

    @Test
    void artifactsComeFromTheLocalCacheWithinItsSizeLimit() throws Exception {
        byte[] big = OnnxModelBuilder.mlp().weightBytes(40_000).build();
        for (String m : new String[] {"a", "b", "c"}) {
            server.put("c/" + m + "/1/model.onnx", big);
        }
        S3Options limited = options().withCacheBytes(big.length * 2L + big.length / 2);
        try (ModelRepository repo = open("c", limited)) {
            S3ModelRepository s3 = (S3ModelRepository) repo;
            int gets = server.gets.get();
            repo.read("a", 1);
            repo.read("b", 1);
            assertThat(server.gets.get()).isEqualTo(gets + 2);
            assertThat(s3.cacheEntries()).isEqualTo(2);

            Artifact again = repo.read("a", 1); // a hit: nothing downloaded
            assertThat(server.gets.get()).isEqualTo(gets + 2);
            assertThat(again.sha256()).isEqualTo(sha256(big));

            repo.read("c", 1); // over the limit: b, the least recently used, goes
            assertThat(server.gets.get()).isEqualTo(gets + 3);
            assertThat(s3.cacheEntries()).isEqualTo(2);
            assertThat(s3.cacheBytesUsed()).isLessThanOrEqualTo(limited.cacheBytes());
            repo.read("a", 1);
            assertThat(server.gets.get()).isEqualTo(gets + 3);
            repo.read("b", 1);
            assertThat(server.gets.get()).isEqualTo(gets + 4);
        }
        // A restart keeps what was cached, within the limit.
        try (ModelRepository repo = open("c", limited)) {
            int gets = server.gets.get();
            assertThat(((S3ModelRepository) repo).cacheEntries()).isEqualTo(2);
            repo.read("b", 1);
            assertThat(server.gets.get()).isEqualTo(gets);
        }
    }

    @Test
    void aCorruptedCacheEntryIsDownloadedAgain() throws Exception {
        server.put("k/alpha/1/model.onnx", MLP);
        try (ModelRepository repo = open("k", options())) {
            repo.read("alpha", 1);
        }
        try (var files = Files.list(tmp.resolve("cache"))) {
            for (Path p : files.filter(p -> p.toString().endsWith(".onnx")).toList()) {
                byte[] b = Files.readAllBytes(p);
                b[b.length / 2] ^= 1;
                Files.write(p, b);
            }
        }
        try (ModelRepository repo = open("k", options())) {
            int gets = server.gets.get();
            assertThat(repo.read("alpha", 1).sha256()).isEqualTo(sha256(MLP));
            assertThat(server.gets.get()).isEqualTo(gets + 1);
        }
    }

    @Test
    void badCredentialsFailTheOpenNamingTheBucketWithoutTheSecret() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("other"));
        try (S3TestServer strict = new S3TestServer(dir, "secured", "someone-else", "their-secret-key-000")) {
            S3Options o = options().withEndpoint(strict.endpoint());
            assertThatThrownBy(() -> ModelRepository.open(strict.root("p/"), RepositoryOptions.defaults(), o))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessageContaining("bucket 'secured'")
                    .hasMessageContaining("access denied")
                    .hasMessageContaining("credentials")
                    .satisfies(e -> assertThat(e.getMessage())
                            .doesNotContain(S3TestServer.SECRET_KEY)
                            .doesNotContain("their-secret-key-000"));
        }
    }

    @Test
    void aMissingBucketFailsTheOpenNamingIt() {
        assertThatThrownBy(
                        () -> ModelRepository.open("s3://no-such-bucket/x/", RepositoryOptions.defaults(), options()))
                .isInstanceOf(RepositoryException.class)
                .hasMessageContaining("bucket 'no-such-bucket'")
                .hasMessageContaining("does not exist");
    }

    @Test
    void anEndpointThatStopsAnsweringIsUnreadableNotGone() throws Exception {
        server.put("f/alpha/1/model.onnx", MLP);
        try (ModelRepository repo = open("f", options().withTimeout(Duration.ofMillis(500)))) {
            assertThat(repo.listModels()).containsExactly("alpha");
            server.freeze();
            assertThatThrownBy(repo::listModels)
                    .isInstanceOf(RepositoryException.Unreadable.class)
                    .hasMessageContaining("no answer");
            assertThatThrownBy(() -> repo.read("alpha", 1)).isInstanceOf(RepositoryException.Unreadable.class);
        }
    }

    @Test
    void aThrottlingBucketIsUnreadableUntilItAnswersAgain() throws Exception {
        server.put("t/alpha/1/model.onnx", MLP);
        try (ModelRepository repo = open("t", options())) {
            server.throttle.set(true);
            assertThatThrownBy(repo::listModels)
                    .isInstanceOf(RepositoryException.Unreadable.class)
                    .hasMessageContaining("throttling")
                    .hasMessageContaining("SlowDown");
            assertThatThrownBy(() -> repo.read("alpha", 1)).isInstanceOf(RepositoryException.Unreadable.class);
            server.throttle.set(false);
            assertThat(repo.listModels()).containsExactly("alpha");
            assertThat(repo.read("alpha", 1).sha256()).isEqualTo(sha256(MLP));
        }
    }

    @Test
    void rootsAndEndpointsAreChecked() {
        assertThat(S3Root.parse("s3://b-1/a//b/").prefix()).isEqualTo("a/b/");
        assertThat(S3Root.parse("s3://bucket").prefix()).isEmpty();
        assertThatThrownBy(() -> S3Root.parse("s3://bucket/../x")).hasMessageContaining("'..'");
        assertThatThrownBy(() -> S3Root.parse("s3://b/x")).hasMessageContaining("bucket name");
        assertThat(S3ModelRepository.endpointFromEnvironment(
                        Map.of("AWS_ENDPOINT_URL", "http://a:1", "AWS_ENDPOINT_URL_S3", "http://b:2")::get))
                .hasValueSatisfying(u -> assertThat(u.getHost()).isEqualTo("b"));
        assertThat(S3ModelRepository.endpointFromEnvironment(Map.of("AWS_ENDPOINT_URL", "http://a:1")::get))
                .hasValueSatisfying(u -> assertThat(u.getHost()).isEqualTo("a"));
        assertThatThrownBy(
                        () -> S3ModelRepository.endpointFromEnvironment(Map.of("AWS_ENDPOINT_URL_S3", "ftp://x")::get))
                .hasMessageContaining("AWS_ENDPOINT_URL_S3");
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
