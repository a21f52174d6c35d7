package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.predlog.JoinLabelsCommand;
import dev.modelmux.node.predlog.PredictionRecord;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction log and the labels API on a real node: a graceful stop leaves exactly one record
 * per append in closed segments, and labels posted to the node join to them.
 */
class PredictionLogNodeTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> post(NodeFixture f, String path, String body, boolean admin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.node.httpPort() + path))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (admin) {
            b.header("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> lines(Path dir, String prefix) throws Exception {
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                assertThat(p.getFileName().toString()).matches(prefix + "-[0-9]{13}-[0-9]{6}\\.jsonl");
                out.addAll(Files.readAllLines(p, StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    @Test
    void aGracefulStopWritesExactlyOneRecordPerAppendAndLabelsJoinToThem() throws Exception {
        Path data = tmp.resolve("data");
        NodeFixture f =
                NodeFixture.start(Files.createDirectories(tmp.resolve("repo")), data, 64L << 20, ControlMode.POLL);
        int threads = 4;
        int perThread = 2_500;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long accepted = 0;
        try {
            // Appends from several threads at once, as request threads do.
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    go.await();
                    int ok = 0;
                    for (int i = 0; i < perThread; i++) {
                        String id = "t" + thread + "-" + i;
                        ok += f.node.predictionLog()
                                        .append(new PredictionRecord(
                                                "decide",
                                                id,
                                                "default",
                                                "example",
                                                "m",
                                                1,
                                                1,
                                                Map.of("x", (double) i),
                                                List.of(0.5),
                                                0.5,
                                                "approve",
                                                100,
                                                "primary",
                                                false,
                                                System.currentTimeMillis()))
                                ? 1
                                : 0;
                    }
                    return ok;
                }));
            }
            go.countDown();
            for (Future<Integer> d : done) {
                accepted += d.get();
            }
            assertThat(accepted)
                    .as("the default buffer holds every record here")
                    .isEqualTo((long) threads * perThread);

            // Labels: admin token, validation naming the field, then accepted.
            assertThat(post(f, "/api/v1/labels", "{\"labels\": []}", false).statusCode())
                    .isEqualTo(401);
            HttpResponse<String> bad = post(
                    f,
                    "/api/v1/labels",
                    "{\"labels\": [{\"request_id\": \"t0-1\", \"label\": 1}, {\"request_id\": \"t0-2\", \"label\": true}]}",
                    true);
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(new JsonObject(bad.body()).getString("error")).contains("labels[1].label");
            JsonArray labels = new JsonArray()
                    .add(new JsonObject().put("request_id", "t0-1").put("label", 1))
                    .add(new JsonObject()
                            .put("request_id", "t3-2499")
                            .put("label", "chargeback")
                            .put("at_ms", 5))
                    .add(new JsonObject()
                            .put("request_id", "t3-2499")
                            .put("label", "legit")
                            .put("at_ms", 6))
                    .add(new JsonObject().put("request_id", "never-logged").put("label", 0));
            HttpResponse<String> ok = post(
                    f, "/api/v1/labels", new JsonObject().put("labels", labels).encode(), true);
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThat(new JsonObject(ok.body()).getInteger("accepted")).isEqualTo(4);
        } finally {
            pool.shutdownNow();
            f.close();
        }

        List<String> predictions = lines(data.resolve("predictions"), "predictions");
        assertThat(predictions).hasSize(threads * perThread);
        Set<String> ids = new HashSet<>();
        for (String l : predictions) {
            ids.add(new JsonObject(l).getString("request_id"));
        }
        assertThat(ids).hasSize(threads * perThread);
        assertThat(lines(data.resolve("labels"), "labels")).hasSize(4);

        Path out = tmp.resolve("dataset.jsonl");
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        assertThat(JoinLabelsCommand.run(
                        List.of("--data-dir", data.toString(), "--out", out.toString()),
                        quiet,
                        System.err,
                        System::currentTimeMillis))
                .isZero();
        List<String> rows = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(rows)
                .extracting(r -> new JsonObject(r).getString("request_id") + "=" + new JsonObject(r).getValue("label"))
                .containsExactlyInAnyOrder("t0-1=1", "t3-2499=legit");
    }
}
