package dev.modelmux.node;

import static dev.modelmux.node.EndpointSupport.admin;
import static dev.modelmux.node.EndpointSupport.decide;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.predlog.JoinLabelsCommand;
import dev.modelmux.repo.ExampleRepository;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction log end to end: decisions made through the example endpoint by concurrent callers,
 * a graceful stop, then the log holds exactly one record per request (nothing lost, nothing twice),
 * and labels posted for some of them join to exactly those rows.
 */
class DecisionLogTest {
    @TempDir
    Path tmp;

    @Test
    void afterAGracefulStopTheLogHoldsOneRecordPerDecisionAndLabelsJoin() throws Exception {
        Path example = tmp.resolve("example");
        ExampleRepository.build(
                example, tmp, ExampleRepository.plan(List.of(64L << 10, 64L << 10, 64L << 10, 64L << 10), List.of()));
        Path data = tmp.resolve("data");
        NodeConfig config = NodeFixture.config(example, data, 256L << 20, ControlMode.POLL)
                .withEndpoints(example.resolve("endpoints.yaml"));
        int n = 300;
        Set<String> sent = new HashSet<>();
        try (NodeFixture f = new NodeFixture(NodeFixture.await(MeshNode.start(config)))) {
            ExecutorService callers = Executors.newFixedThreadPool(8);
            try {
                List<Future<EndpointSupport.Reply>> replies = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String id = "req-" + i;
                    sent.add(id);
                    JsonObject body = new JsonObject()
                            .put("request_id", id)
                            .put("entity_id", "user-" + i)
                            .put("model_name", "example");
                    replies.add(callers.submit(() -> decide(f, body)));
                }
                for (Future<EndpointSupport.Reply> r : replies) {
                    assertThat(r.get().status()).as(r.get().body()).isEqualTo(200);
                }
            } finally {
                callers.shutdown();
            }
            JsonArray labels = new JsonArray();
            for (int i = 0; i < 10; i++) {
                labels.add(new JsonObject().put("request_id", "req-" + (i * 7)).put("label", i % 2));
            }
            labels.add(new JsonObject().put("request_id", "never-logged").put("label", 1));
            EndpointSupport.Reply posted = admin(
                    f,
                    "POST",
                    "/api/v1/labels",
                    new JsonObject().put("labels", labels).encode());
            assertThat(posted.status()).as(posted.body()).isEqualTo(200);
        } // a graceful stop: servers stop, in-flight requests finish, the logs are closed

        List<JsonObject> records = new ArrayList<>();
        try (Stream<Path> files = Files.list(data.resolve("predictions"))) {
            for (Path p : files.sorted().toList()) {
                assertThat(p.getFileName().toString())
                        .as("every segment closed")
                        .endsWith(".jsonl");
                for (String line : Files.readAllLines(p)) {
                    records.add(new JsonObject(line));
                }
            }
        }
        List<String> ids = records.stream()
                .filter(r -> "decide".equals(r.getString("kind")))
                .map(r -> r.getString("request_id"))
                .toList();
        assertThat(ids).hasSize(n).doesNotHaveDuplicates();
        assertThat(new HashSet<>(ids)).isEqualTo(sent);
        JsonObject one = records.stream()
                .filter(r -> "decide".equals(r.getString("kind")))
                .findFirst()
                .orElseThrow();
        assertThat(one.getString("endpoint")).isEqualTo("example");
        assertThat(one.getString("ladder_step")).isEqualTo("primary");
        assertThat(one.getString("model")).isEqualTo("risk");
        assertThat(one.getLong("policy_version")).isEqualTo(1L);
        assertThat(one.getString("decision")).isNotEmpty();

        Path out = tmp.resolve("dataset.jsonl");
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        assertThat(JoinLabelsCommand.run(
                        List.of("--data-dir", data.toString(), "--out", out.toString()),
                        quiet,
                        System.err,
                        System::currentTimeMillis))
                .isZero();
        List<JsonObject> rows =
                Files.readAllLines(out).stream().map(JsonObject::new).toList();
        assertThat(rows)
                .extracting(r -> r.getString("request_id"))
                .containsExactlyInAnyOrder(Stream.iterate(0, i -> i + 7)
                        .limit(10)
                        .map(i -> "req-" + i)
                        .toArray(String[]::new));
        assertThat(rows).allSatisfy(r -> assertThat(r.containsKey("label")).isTrue());
        Map<String, Object> first = rows.get(0).getMap();
        assertThat(first).containsKeys("score", "decision", "features");
    }
}
