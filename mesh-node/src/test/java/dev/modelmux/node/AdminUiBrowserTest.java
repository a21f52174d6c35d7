package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin UI end to end in a real browser: a two-node mesh, and {@code admin-ui/e2e/admin-ui.e2e.mjs}
 * driving Debian's headless Chromium through playwright-core (log in, a wrong token refused, both
 * nodes and devices on the map, traffic makes a model READY live, unload it from the UI, the
 * capacity view with the model's advice, the models table with 1,500 rows). Saves the cluster map
 * as {@code target/admin-ui-cluster-map.png} and the capacity view as {@code target/admin-ui-capacity.png}.
 *
 * <p>Needs {@code /usr/bin/chromium} (or {@code CHROMIUM}), {@code node}, and {@code npm ci} run in
 * {@code admin-ui/e2e}; {@code .ci/run} installs all three. Without them the test fails under CI
 * ({@code CI=true} or {@code -Dmodelmux.ci=true}) and is skipped elsewhere, saying what is missing.
 */
class AdminUiBrowserTest {
    @TempDir
    Path tmp;

    @Test
    void anOperatorLogsInSeesTheMeshWatchesAModelLoadAndUnloadsIt() throws Exception {
        Path e2e = Path.of("..", "admin-ui", "e2e").toAbsolutePath().normalize();
        Path chromium = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));
        List<String> missing = new ArrayList<>();
        if (!Files.isExecutable(chromium)) {
            missing.add(chromium + " (apt-get install chromium)");
        }
        if (!onPath("node")) {
            missing.add("node (apt-get install nodejs npm)");
        }
        if (!Files.isDirectory(e2e.resolve("node_modules").resolve("playwright-core"))) {
            missing.add("playwright-core (npm ci in " + e2e + ")");
        }
        if (!missing.isEmpty()) {
            String message =
                    "the admin UI browser test needs " + String.join(", ", missing) + "; .ci/run installs them";
            if ("true".equalsIgnoreCase(System.getenv("CI")) || Boolean.getBoolean("modelmux.ci")) {
                fail(message);
            }
            Assumptions.abort(message);
        }

        TestRepo repo =
                new TestRepo(tmp.resolve("repo")).mlp("m", 1, 16, 4, 200_000, 3).mlp("other", 1, 16, 4, 100_000, 4);
        NodeFixture a = NodeFixture.startMesh(repo.root, tmp.resolve("a"), 256L << 20, "node-a", List.of());
        NodeFixture b = null;
        Path shot = Path.of("target", "admin-ui-cluster-map.png").toAbsolutePath();
        Path capacityShot = Path.of("target", "admin-ui-capacity.png").toAbsolutePath();
        Path log = Path.of("target", "admin-ui-e2e.log").toAbsolutePath();
        Files.createDirectories(shot.getParent());
        Files.deleteIfExists(shot);
        Files.deleteIfExists(capacityShot);
        try {
            b = NodeFixture.startMesh(
                    repo.root, tmp.resolve("b"), 256L << 20, "node-b", List.of("127.0.0.1:" + a.node.clusterPort()));
            NodeFixture bb = b;
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> a.node.meshNodes().containsAll(List.of("node-a", "node-b"))
                            && bb.node.meshNodes().containsAll(List.of("node-a", "node-b")));

            ProcessBuilder pb = new ProcessBuilder("node", "admin-ui.e2e.mjs")
                    .directory(e2e.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            pb.environment().put("BASE_URL", "http://127.0.0.1:" + a.node.httpPort());
            pb.environment().put("TRAFFIC_URL", "http://127.0.0.1:" + b.node.httpPort());
            pb.environment().put("ADMIN_TOKEN", NodeFixture.ADMIN_TOKEN);
            pb.environment().put("MODEL", "m");
            pb.environment().put("NODES", "node-a,node-b");
            pb.environment().put("SCREENSHOT", shot.toString());
            pb.environment().put("CAPACITY_SCREENSHOT", capacityShot.toString());
            pb.environment().put("CHROMIUM", chromium.toString());
            Process p = pb.start();
            boolean finished = p.waitFor(240, TimeUnit.SECONDS);
            if (!finished) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(finished)
                    .as("the browser script finished in time:\n" + output)
                    .isTrue();
            assertThat(p.exitValue())
                    .as("the browser script passed:\n" + output)
                    .isZero();
            assertThat(output).contains("capacity view").contains("all checks passed");
            assertThat(shot).exists();
            assertThat(Files.size(shot)).isPositive();
            assertThat(capacityShot).exists();
        } finally {
            if (b != null) {
                b.close();
            }
            a.close();
        }
    }

    private static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, exe))) {
                return true;
            }
        }
        return false;
    }
}
