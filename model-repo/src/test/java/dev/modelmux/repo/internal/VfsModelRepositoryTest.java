package dev.modelmux.repo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ModelEntry;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.ModelRepository;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.RepositoryOptions;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.commons.vfs2.FileObject;
import org.apache.commons.vfs2.VFS;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VfsModelRepositoryTest {
    private static final AtomicInteger RAM_ROOTS = new AtomicInteger();
    private static final byte[] MLP = OnnxModelBuilder.mlp().build();
    private static final byte[] MLP2 = OnnxModelBuilder.mlp().seed(7).build();
    private static final String BATCHED = "max_batch_size: 8\n"
            + "input { name: \"input\" data_type: TYPE_FP32 dims: [16] }\n"
            + "output { name: \"output\" data_type: TYPE_FP32 dims: [4] }\n";

    @TempDir
    Path tmp;

    /** The layout most tests use, as relative path to content. */
    private static Map<String, byte[]> layout() {
        Map<String, byte[]> files = new TreeMap<>();
        files.put("alpha/config.pbtxt", utf8(BATCHED));
        files.put("alpha/1/model.onnx", MLP);
        files.put("alpha/2/model.onnx", MLP2);
        files.put("beta/3/model.onnx", MLP); // no config
        files.put("gamma/config.pbtxt", utf8("max_batch_size: -4"));
        files.put("gamma/1/model.onnx", MLP);
        files.put("README.md", utf8("not a model"));
        return files;
    }

    // ---- local folders ----

    @Test
    void localFolderListsScansAndReads() throws Exception {
        Path root = write(tmp.resolve("repo"), layout());
        try (ModelRepository repo = ModelRepository.open(root.toString(), RepositoryOptions.defaults())) {
            assertThat(repo.describe()).isEqualTo(root.toUri().toString());
            assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");

            ModelEntry alpha = repo.scan("alpha");
            assertThat(alpha.config()).isPresent();
            assertThat(alpha.config().get().getMaxBatchSize()).isEqualTo(8);
            assertThat(alpha.configError()).isEmpty();
            assertThat(alpha.versions())
                    .extracting(ModelEntry.VersionEntry::version)
                    .containsExactly(1L, 2L);
            assertThat(alpha.versions().get(0).sizeBytes()).isEqualTo(MLP.length);
            assertThat(alpha.versions().get(0).fileName()).isEqualTo("model.onnx");
            assertThat(alpha.servedVersions()).containsExactly(2L);

            Artifact a = repo.read("alpha", 1);
            assertThat(a.bytes()).isEqualTo(MLP);
            assertThat(a.sha256()).isEqualTo(sha256(MLP));
            assertThat(a.model()).isEqualTo("alpha");
            assertThat(a.version()).isEqualTo(1);
        }
    }

    @Test
    void fileUriRootWorksLikeAPath() throws Exception {
        Path root = write(tmp.resolve("repo"), layout());
        try (ModelRepository repo = ModelRepository.open(root.toUri().toString(), RepositoryOptions.defaults())) {
            assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");
        }
    }

    @Test
    void missingConfigMeansDerivedConfigAndLatestOne() throws Exception {
        Map<String, byte[]> files = Map.of("m/1/model.onnx", MLP, "m/5/model.onnx", MLP, "m/3/model.onnx", MLP);
        try (ModelRepository repo = open(write(tmp.resolve("repo"), files))) {
            ModelEntry m = repo.scan("m");
            assertThat(m.config()).isEmpty();
            assertThat(m.configError()).isEmpty();
            assertThat(m.versions())
                    .extracting(ModelEntry.VersionEntry::version)
                    .containsExactly(1L, 3L, 5L);
            assertThat(m.servedVersions()).containsExactly(5L);
        }
    }

    @Test
    void brokenConfigIsReportedNotThrown() throws Exception {
        try (ModelRepository repo = open(write(tmp.resolve("repo"), layout()))) {
            ModelEntry gamma = repo.scan("gamma");
            assertThat(gamma.config()).isEmpty();
            assertThat(gamma.configError())
                    .hasValue("model 'gamma': config.pbtxt line 1: max_batch_size must be >= 0, was -4");
            assertThat(gamma.versions()).hasSize(1);
            assertThat(gamma.servedVersions()).containsExactly(1L);
        }
    }

    @Test
    void configSyntaxErrorNamesTheLine() throws Exception {
        Map<String, byte[]> files =
                Map.of("m/config.pbtxt", utf8("max_batch_size: 4\ninput {\n  nme: \"x\"\n}\n"), "m/1/model.onnx", MLP);
        try (ModelRepository repo = open(write(tmp.resolve("repo"), files))) {
            assertThat(repo.scan("m").configError().orElseThrow())
                    .startsWith("model 'm': config.pbtxt line 3: ")
                    .contains("nme");
        }
    }

    @Test
    void oversizedAndNonUtf8ConfigsAreErrors() throws Exception {
        Map<String, byte[]> files = Map.of(
                "big/config.pbtxt",
                utf8("# " + "x".repeat(2000)),
                "big/1/model.onnx",
                MLP,
                "latin/config.pbtxt",
                new byte[] {'#', ' ', (byte) 0xff, '\n'},
                "latin/1/model.onnx",
                MLP);
        try (ModelRepository repo = ModelRepository.open(
                write(tmp.resolve("repo"), files).toString(),
                new RepositoryOptions(RepositoryOptions.DEFAULT_MAX_ARTIFACT_BYTES, 1000))) {
            assertThat(repo.scan("big").configError())
                    .hasValue("model 'big': config.pbtxt is 2002 bytes, more than the 1000 allowed");
            assertThat(repo.scan("latin").configError()).hasValue("model 'latin': config.pbtxt is not valid UTF-8");
        }
    }

    @Test
    void versionPoliciesSelectServedVersions() throws Exception {
        Map<String, byte[]> files = new TreeMap<>();
        for (String m : List.of("all", "two", "specific")) {
            for (int v : new int[] {1, 2, 4}) {
                files.put(m + "/" + v + "/model.onnx", MLP);
            }
        }
        files.put("all/config.pbtxt", utf8("version_policy { all { } }"));
        files.put("two/config.pbtxt", utf8("version_policy { latest { num_versions: 2 } }"));
        files.put("specific/config.pbtxt", utf8("version_policy { specific { versions: [2, 3] } }"));
        try (ModelRepository repo = open(write(tmp.resolve("repo"), files))) {
            assertThat(repo.scan("all").servedVersions()).containsExactly(1L, 2L, 4L);
            assertThat(repo.scan("two").servedVersions()).containsExactly(2L, 4L);
            assertThat(repo.scan("specific").servedVersions()).containsExactly(2L);
        }
    }

    @Test
    void onlyPlainDecimalVersionFoldersHoldingTheModelFileCount() throws Exception {
        Map<String, byte[]> files = new TreeMap<>();
        for (String v : List.of("0", "01", "-1", "+1", "1a", "1.0", "99999999999999999999", "9223372036854775808")) {
            files.put("m/" + v + "/model.onnx", MLP);
        }
        files.put("m/9223372036854775807/model.onnx", MLP);
        files.put("m/7/other.onnx", MLP); // no model.onnx
        files.put("m/8", MLP); // a file, not a folder
        files.put("m/12/model.onnx", MLP);
        try (ModelRepository repo = open(write(tmp.resolve("repo"), files))) {
            assertThat(repo.scan("m").versions())
                    .extracting(ModelEntry.VersionEntry::version)
                    .containsExactly(12L, Long.MAX_VALUE);
            assertThat(repo.read("m", Long.MAX_VALUE).bytes()).isEqualTo(MLP);
        }
    }

    @Test
    void defaultModelFilenameIsHonoured() throws Exception {
        Map<String, byte[]> files = Map.of(
                "m/config.pbtxt",
                utf8("default_model_filename: \"net.onnx\""),
                "m/1/net.onnx",
                MLP2,
                "m/2/model.onnx",
                MLP);
        try (ModelRepository repo = open(write(tmp.resolve("repo"), files))) {
            ModelEntry m = repo.scan("m");
            assertThat(m.versions())
                    .extracting(ModelEntry.VersionEntry::version)
                    .containsExactly(1L);
            assertThat(m.versions().get(0).fileName()).isEqualTo("net.onnx");
            assertThat(repo.read("m", 1).bytes()).isEqualTo(MLP2);
            assertThatThrownBy(() -> repo.read("m", 2))
                    .isInstanceOf(RepositoryException.NotFound.class)
                    .hasMessage("model 'm' version 2 has no net.onnx");
        }
    }

    @Test
    void missingModelsAndVersionsAreNotFound() throws Exception {
        try (ModelRepository repo = open(write(tmp.resolve("repo"), layout()))) {
            assertThatThrownBy(() -> repo.scan("nope"))
                    .isInstanceOf(RepositoryException.NotFound.class)
                    .hasMessage("model 'nope' is not in the repository");
            assertThatThrownBy(() -> repo.scan("README.md")).isInstanceOf(RepositoryException.NotFound.class);
            assertThatThrownBy(() -> repo.read("nope", 1)).isInstanceOf(RepositoryException.NotFound.class);
            assertThatThrownBy(() -> repo.read("alpha", 9))
                    .isInstanceOf(RepositoryException.NotFound.class)
                    .hasMessage("model 'alpha' has no version 9");
            assertThatThrownBy(() -> repo.read("alpha", 0)).isInstanceOf(RepositoryException.NotFound.class);
            assertThatThrownBy(() -> repo.read("alpha", -1)).isInstanceOf(RepositoryException.NotFound.class);
        }
    }

    @Test
    void artifactsAboveTheLimitAreRefusedWithARelativeName() throws Exception {
        Path root = write(tmp.resolve("repo"), layout());
        try (ModelRepository repo = ModelRepository.open(root.toString(), new RepositoryOptions(1000, 1 << 20))) {
            assertThatThrownBy(() -> repo.read("alpha", 1))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessage("alpha/1/model.onnx is " + MLP.length + " bytes, more than the 1000 allowed")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(tmp.toString()));
        }
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "../x",
                "..",
                ".",
                "%2e%2e",
                "%2e%2e%2fx",
                "a/b",
                "a\\b",
                ".hidden",
                "",
                "a\u0000b",
                "file:///etc",
                "/etc/passwd",
                "x y",
                "ü"
            })
    void hostileNamesAreRefusedBeforeAnyAccess(String name) throws Exception {
        try (ModelRepository repo = open(write(tmp.resolve("repo"), layout()))) {
            assertThatThrownBy(() -> repo.scan(name)).isInstanceOf(ModelNames.InvalidModelNameException.class);
            assertThatThrownBy(() -> repo.read(name, 1)).isInstanceOf(ModelNames.InvalidModelNameException.class);
        }
    }

    @Test
    void overlongAndNullNamesAreRefused() throws Exception {
        try (ModelRepository repo = open(write(tmp.resolve("repo"), layout()))) {
            assertThatThrownBy(() -> repo.scan("a".repeat(129)))
                    .isInstanceOf(ModelNames.InvalidModelNameException.class)
                    .hasMessage("model name is longer than 128 characters");
            assertThatThrownBy(() -> repo.scan(null)).isInstanceOf(ModelNames.InvalidModelNameException.class);
        }
    }

    @Test
    void foldersWithInvalidNamesAreSkippedWhenListing() throws Exception {
        Map<String, byte[]> files = new TreeMap<>(layout());
        files.put(".hidden/1/model.onnx", MLP);
        files.put("with space/1/model.onnx", MLP);
        files.put("%2e%2e/1/model.onnx", MLP);
        files.put("x".repeat(129) + "/1/model.onnx", MLP);
        try (ModelRepository repo = open(write(tmp.resolve("repo"), files))) {
            assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");
        }
    }

    // ---- symbolic links ----

    @Test
    void symlinkedVersionFolderOutsideTheRootIsSkippedAndNotRead() throws Exception {
        Path root = write(tmp.resolve("repo"), Map.of("m/1/model.onnx", MLP));
        Path outside = write(tmp.resolve("outside"), Map.of("2/model.onnx", MLP2));
        Files.createSymbolicLink(root.resolve("m/2"), outside.resolve("2"));
        try (ModelRepository repo = open(root)) {
            assertThat(repo.scan("m").versions())
                    .extracting(ModelEntry.VersionEntry::version)
                    .containsExactly(1L);
            assertThatThrownBy(() -> repo.read("m", 2))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessage("m/2 resolves outside the repository root; refused");
        }
    }

    @Test
    void symlinkedModelFolderOrFilesOutsideTheRootAreRefused() throws Exception {
        Path root = write(tmp.resolve("repo"), Map.of("m/1/model.onnx", MLP, "c/1/model.onnx", MLP));
        Path outside = write(
                tmp.resolve("outside"),
                Map.of("evil/1/model.onnx", MLP2, "secret.txt", utf8("max_batch_size: 1"), "weights.onnx", MLP2));
        Files.createSymbolicLink(root.resolve("evil"), outside.resolve("evil"));
        Files.createSymbolicLink(root.resolve("c/config.pbtxt"), outside.resolve("secret.txt"));
        Files.createDirectories(root.resolve("m/3"));
        Files.createSymbolicLink(root.resolve("m/3/model.onnx"), outside.resolve("weights.onnx"));
        try (ModelRepository repo = open(root)) {
            assertThat(repo.listModels()).containsExactly("c", "m");
            assertThatThrownBy(() -> repo.scan("evil"))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessage("evil resolves outside the repository root; refused");
            assertThat(repo.scan("c").configError())
                    .hasValue("model 'c': config.pbtxt resolves outside the repository root; refused");
            assertThat(repo.scan("m").versions())
                    .extracting(ModelEntry.VersionEntry::version)
                    .containsExactly(1L);
            assertThatThrownBy(() -> repo.read("m", 3))
                    .hasMessage("m/3/model.onnx resolves outside the repository root; refused");
        }
    }

    @Test
    void symlinksInsideTheRootAreFollowed() throws Exception {
        Path root = write(tmp.resolve("repo"), Map.of("m/1/model.onnx", MLP, "shared/model.onnx", MLP2));
        Files.createDirectories(root.resolve("m/2"));
        Files.createSymbolicLink(root.resolve("m/2/model.onnx"), root.resolve("shared/model.onnx"));
        try (ModelRepository repo = open(root)) {
            assertThat(repo.read("m", 2).bytes()).isEqualTo(MLP2);
        }
    }

    // ---- change detection ----

    @Test
    void fingerprintFollowsConfigAndVersionChanges() throws Exception {
        Path root = write(tmp.resolve("repo"), Map.of("m/config.pbtxt", utf8(BATCHED), "m/1/model.onnx", MLP));
        try (ModelRepository repo = open(root)) {
            String first = repo.scan("m").fingerprint();
            assertThat(repo.scan("m").fingerprint()).isEqualTo(first);

            Files.writeString(root.resolve("m/config.pbtxt"), BATCHED + "instance_group { count: 2 }\n");
            String configChanged = repo.scan("m").fingerprint();
            assertThat(configChanged).isNotEqualTo(first);

            write(root, Map.of("m/2/model.onnx", MLP2));
            String versionAdded = repo.scan("m").fingerprint();
            assertThat(versionAdded).isNotEqualTo(configChanged);
            assertThat(repo.scan("m").servedVersions()).containsExactly(2L);

            Files.setLastModifiedTime(root.resolve("m/2/model.onnx"), FileTime.fromMillis(1_000_000));
            assertThat(repo.scan("m").fingerprint()).isNotEqualTo(versionAdded);
        }
    }

    // ---- other schemes ----

    @Test
    void ramRoot() throws Exception {
        String uri = "ram:///repo" + RAM_ROOTS.incrementAndGet();
        for (Map.Entry<String, byte[]> e : layout().entrySet()) {
            try (FileObject f = VFS.getManager().resolveFile(uri + "/" + e.getKey());
                    OutputStream out = f.getContent().getOutputStream()) {
                out.write(e.getValue());
            }
        }
        try (ModelRepository repo = ModelRepository.open(uri, RepositoryOptions.defaults())) {
            assertThat(repo.describe()).isEqualTo(uri);
            assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");
            assertThat(repo.scan("alpha").servedVersions()).containsExactly(2L);
            assertThat(repo.read("beta", 3).sha256()).isEqualTo(sha256(MLP));
            assertThatThrownBy(() -> repo.scan("../alpha")).isInstanceOf(ModelNames.InvalidModelNameException.class);
        }
    }

    @Test
    void zipRootAndAFolderInsideIt() throws Exception {
        Path zip = zip(tmp.resolve("repo.zip"), layout(), "");
        try (ModelRepository repo = ModelRepository.open("zip:" + zip.toUri() + "!/", RepositoryOptions.defaults())) {
            assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");
            assertThat(repo.scan("alpha").versions()).hasSize(2);
            assertThat(repo.read("alpha", 2).bytes()).isEqualTo(MLP2);
            assertThat(repo.scan("gamma").configError()).isPresent();
        }
        Path nested = zip(tmp.resolve("nested.zip"), layout(), "models/");
        try (ModelRepository repo =
                ModelRepository.open("jar:" + nested.toUri() + "!/models", RepositoryOptions.defaults())) {
            assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");
            assertThat(repo.read("beta", 3).bytes()).isEqualTo(MLP);
        }
    }

    @Test
    void zipOverHttp() throws Exception {
        Path zip = zip(tmp.resolve("repo.zip"), layout(), "");
        HttpServer server = serve(zip);
        try {
            int port = server.getAddress().getPort();
            String uri = "zip:http://user:secret@127.0.0.1:" + port + "/repo.zip?token=abc!/";
            try (ModelRepository repo = ModelRepository.open(uri, RepositoryOptions.defaults())) {
                assertThat(repo.describe()).isEqualTo("zip:http://127.0.0.1:" + port + "/repo.zip!/");
                assertThat(repo.listModels()).containsExactly("alpha", "beta", "gamma");
                assertThat(repo.read("alpha", 1).bytes()).isEqualTo(MLP);
            }
            assertThatThrownBy(() -> ModelRepository.open(
                            "http://user:secret@127.0.0.1:" + port + "/repo.zip?token=abc",
                            RepositoryOptions.defaults()))
                    .isInstanceOf(RepositoryException.class)
                    .hasMessageContaining(
                            "is not a folder; http(s) servers cannot list folders, so serve the repository as an archive")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("secret", "token"));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void badRootsAreRefusedAtOpen() {
        assertThatThrownBy(() -> ModelRepository.open(tmp.resolve("absent").toString(), RepositoryOptions.defaults()))
                .isInstanceOf(RepositoryException.class)
                .hasMessageEndingWith("does not exist");
        assertThatThrownBy(() -> ModelRepository.open("ftp://host/repo", RepositoryOptions.defaults()))
                .hasMessageStartingWith("repository scheme 'ftp' is not supported");
        assertThatThrownBy(() -> ModelRepository.open(" ", RepositoryOptions.defaults()))
                .hasMessage("the repository root is empty");
    }

    @Test
    void aFileIsNotARoot() throws Exception {
        Path file = Files.writeString(tmp.resolve("file.txt"), "x");
        assertThatThrownBy(() -> ModelRepository.open(file.toString(), RepositoryOptions.defaults()))
                .hasMessageEndingWith("is not a folder");
    }

    // ---- helpers ----

    private static ModelRepository open(Path root) throws RepositoryException {
        return ModelRepository.open(root.toString(), RepositoryOptions.defaults());
    }

    private static Path write(Path root, Map<String, byte[]> files) throws IOException {
        for (Map.Entry<String, byte[]> e : files.entrySet()) {
            Path p = root.resolve(e.getKey());
            Files.createDirectories(p.getParent());
            Files.write(p, e.getValue());
        }
        return root;
    }

    private static Path zip(Path zip, Map<String, byte[]> files, String prefix) throws IOException {
        try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(zip))) {
            for (Map.Entry<String, byte[]> e : files.entrySet()) {
                out.putNextEntry(new ZipEntry(prefix + e.getKey()));
                out.write(e.getValue());
                out.closeEntry();
            }
        }
        return zip;
    }

    private static HttpServer serve(Path file) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        byte[] body = Files.readAllBytes(file);
        String expected = "Basic " + Base64.getEncoder().encodeToString(utf8("user:secret"));
        server.createContext("/repo.zip", ex -> {
            if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))
                    || !"token=abc".equals(ex.getRequestURI().getQuery())) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"repo\"");
                ex.sendResponseHeaders(401, -1);
                ex.close();
                return;
            }
            ex.getResponseHeaders().add("Content-Type", "application/zip");
            if (ex.getRequestMethod().equals("HEAD")) {
                ex.getResponseHeaders().add("Content-Length", Integer.toString(body.length));
                ex.sendResponseHeaders(200, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            }
            ex.close();
        });
        server.start();
        return server;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
