package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.predlog.internal.FilePredictionLog;
import dev.modelmux.node.predlog.internal.SegmentedLog;
import dev.modelmux.repo.ExampleRepository;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code log-durability: always} on a node in its own JVM: every decision it acknowledged is in the
 * log after a {@code kill -9} (no shutdown hook, no close: only what was fsynced, or at least handed
 * to the OS, survives).
 */
class DurableLogTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    static List<String> nodeArgs(Path example, Path data, String nodeId, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--node-id",
                nodeId,
                "--repo",
                example.toUri().toString(),
                "--endpoints",
                example.resolve("endpoints.yaml").toString(),
                "--host",
                "127.0.0.1",
                "--grpc-port",
                "0",
                "--http-port",
                "0",
                "--cluster-port",
                "0",
                "--admin-token",
                NodeFixture.ADMIN_TOKEN,
                "--data-dir",
                data.toString(),
                "--gpus",
                "none",
                "--intra-op-threads",
                "1",
                "--drain-timeout",
                "0"));
        args.addAll(List.of(more));
        return args;
    }

    static Path example(Path tmp) throws Exception {
        Path example = tmp.resolve("example");
        ExampleRepository.build(
                example, tmp, ExampleRepository.plan(List.of(64L << 10, 64L << 10, 64L << 10, 64L << 10), List.of()));
        return example;
    }

    /** request_id of every complete, parseable line of every segment (closed or left open) under {@code dir}. */
    static Set<String> loggedIds(Path dir) throws Exception {
        Set<String> ids = new HashSet<>();
        for (Path p : SegmentedLog.allSegments(dir, FilePredictionLog.PREFIX)) {
            String text = Files.readString(p, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n'); // a torn last line does not count
            for (String line : text.substring(0, end + 1).split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                try {
                    ids.add(new JsonObject(line).getString("request_id"));
                } catch (DecodeException e) {
                    throw new AssertionError("a complete line that does not parse in " + p + ": " + line);
                }
            }
        }
        return ids;
    }

    HttpResponse<String> decide(int port, String requestId) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/v1/decide"))
                        .header("content-type", "application/json")
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject()
                                .put("request_id", requestId)
                                .put("entity_id", "user-" + requestId)
                                .put("model_name", "example")
                                .encode()))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aKill9RightAfterNAcknowledgedDecisionsUnderAlwaysLeavesEveryOneOfThemInTheLog() throws Exception {
        Path example = example(tmp);
        Path data = tmp.resolve("data");
        int n = 400;
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        try (ChildNode node =
                ChildNode.start(tmp.resolve("node"), nodeArgs(example, data, "k", "--log-durability", "always"))) {
            ExecutorService callers = Executors.newFixedThreadPool(8);
            try {
                List<Future<?>> calls = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String id = "ack-" + i;
                    calls.add(callers.submit(() -> {
                        HttpResponse<String> r = decide(node.httpPort, id);
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        acknowledged.add(id);
                        return null;
                    }));
                }
                for (Future<?> c : calls) {
                    c.get();
                }
            } finally {
                callers.shutdownNow();
            }
            node.kill(); // at once: no graceful stop, the open segment stays .open
        }
        assertThat(acknowledged).hasSize(n);
        assertThat(loggedIds(data.resolve("predictions"))).containsAll(acknowledged);
    }
}
