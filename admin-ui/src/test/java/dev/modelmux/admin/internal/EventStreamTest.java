package dev.modelmux.admin.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.modelmux.admin.MeshView;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /api/v1/stream}: hello, the cluster whenever it changes, each timeline event, heartbeats, a cap. */
class EventStreamTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final FakeMesh mesh = new FakeMesh();
    private AdminServer server;

    @BeforeEach
    void start() {
        server = AdminServer.api(mesh, 2);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    /** An open stream's lines, and what completes when the server ends it. */
    private record Open(List<String> lines, CompletableFuture<Void> ended) {}

    private Open open() {
        List<String> lines = new CopyOnWriteArrayList<>();
        HttpRequest req = HttpRequest.newBuilder(server.uri("/api/v1/stream"))
                .header("authorization", AdminServer.BEARER)
                .GET()
                .build();
        CompletableFuture<Void> ended = server.client
                .sendAsync(req, HttpResponse.BodyHandlers.ofLines())
                .thenAccept(r -> {
                    lines.add("status " + r.statusCode());
                    lines.add("content-type "
                            + r.headers().firstValue("content-type").orElse(""));
                    lines.add("cache-control "
                            + r.headers().firstValue("cache-control").orElse(""));
                    try (Stream<String> s = r.body()) {
                        s.forEach(lines::add);
                    }
                });
        return new Open(lines, ended);
    }

    @Test
    void aStreamSaysHelloThenPushesTheClusterAsItChangesAndEveryEvent() {
        Open s = open();
        await().atMost(WAIT).until(() -> s.lines().contains("event: cluster"));
        assertThat(s.lines())
                .startsWith(
                        "status 200",
                        "content-type text/event-stream; charset=utf-8",
                        "cache-control no-store",
                        "event: hello",
                        "data: {\"node\":\"node-a\"}",
                        "");
        assertThat(s.lines())
                .contains("data: {\"node\":\"node-a\",\"members\":[\"node-a\"],\"nodes\":[],\"models\":[]}");

        mesh.publish(MeshRoutesTest.event(41, "PINNED", "m", 0, ""));
        await().atMost(WAIT).until(() -> s.lines().contains("event: timeline"));
        assertThat(s.lines())
                .contains("data: "
                        + new JsonObject()
                                .put("seq", 41)
                                .put("at_ms", 41_000)
                                .put("kind", "PINNED")
                                .put("node", "node-a")
                                .put("actor", "mesh")
                                .put("device", "cpu0")
                                .put("model", "m")
                                .put("bytes", 10)
                                .put("millis", 120)
                                .encode());

        mesh.mesh = new MeshView("node-a", List.of("node-a", "node-b"), List.of(), List.of());
        await().atMost(WAIT).until(() -> s.lines().stream().anyMatch(l -> l.contains("\"node-b\"")));
        long clusters = s.lines().stream().filter("event: cluster"::equals).count();
        assertThat(clusters).isGreaterThanOrEqualTo(2);

        // Quiet for the heartbeat interval: a comment line keeps proxies from closing it.
        server.clockMillis.addAndGet(EventStream.HEARTBEAT_MS);
        await().atMost(WAIT).until(() -> s.lines().contains(": keep-alive"));
    }

    @Test
    void streamsPastTheCapAreRefusedAndClosingEndsThem() {
        Open a = open();
        Open b = open();
        await().atMost(WAIT).until(() -> server.api().openStreams() == 2);
        AdminServer.Reply third = server.admin("GET", "/api/v1/stream", null);
        assertThat(third.status()).isEqualTo(429);
        assertThat(third.error()).isEqualTo("too many admin streams open on this node");
        assertThat(third.header("cache-control")).isEqualTo("no-store");
        assertThat(mesh.listeners()).isEqualTo(1);

        server.api().close();
        await().atMost(WAIT).until(() -> a.ended().isDone() && b.ended().isDone());
        assertThat(server.api().openStreams()).isZero();
        assertThat(mesh.listeners()).isZero();
        assertThat(server.admin("GET", "/api/v1/stream", null).status()).isEqualTo(503);
    }
}
