package dev.modelmux.admin.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.admin.AdminEvent;
import dev.modelmux.admin.AdminFailure;
import dev.modelmux.admin.MeshView;
import dev.modelmux.admin.ModelFigures;
import dev.modelmux.placement.CopyState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The cluster, models, actions and events routes over a fake mesh: shapes, statuses and refusals. */
class MeshRoutesTest {
    private static final String[][] ROUTES = {
        {"GET", "/api/v1/cluster"},
        {"GET", "/api/v1/models"},
        {"POST", "/api/v1/models/m/load"},
        {"POST", "/api/v1/models/m/unload"},
        {"POST", "/api/v1/models/m/pin"},
        {"POST", "/api/v1/models/m/unpin"},
        {"POST", "/api/v1/nodes/node-b/drain"},
        {"POST", "/api/v1/nodes/node-b/undrain"},
        {"GET", "/api/v1/events"},
        {"GET", "/api/v1/stream"},
        {"GET", "/api/v1/tenants"},
        {"PUT", "/api/v1/tenants"},
        {"GET", "/api/v1/tenants/default"},
        {"PUT", "/api/v1/tenants/acme"},
        {"DELETE", "/api/v1/tenants/acme"},
        {"GET", "/api/v1/capacity"}
    };

    private final FakeMesh mesh = new FakeMesh();
    private AdminServer server;

    @BeforeEach
    void start() {
        server = AdminServer.api(mesh);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void everyRouteRefusesAMissingOrWrongTokenWithoutActing() {
        String wrong = "Bearer wrong-admin-token-0123456789";
        for (String[] r : ROUTES) {
            String body = r[0].equals("GET") || r[0].equals("DELETE") ? null : "{}";
            for (String[] auth :
                    new String[][] {{}, {"authorization", wrong}, {"authorization", "Basic " + AdminServer.TOKEN}}) {
                AdminServer.Reply reply = server.send(r[0], r[1], body, auth);
                assertThat(reply.status())
                        .as("%s %s %s", r[0], r[1], String.join(" ", auth))
                        .isEqualTo(401);
                assertThat(reply.header("www-authenticate")).isEqualTo("Bearer");
                assertThat(reply.header("content-type")).isEqualTo("application/json");
                assertThat(reply.body()).contains("admin token").doesNotContain("wrong-admin-token");
            }
        }
        assertThat(mesh.calls).isEmpty();
        assertThat(server.api().openStreams()).isZero();
        // The page itself holds no data and needs no token.
        assertThat(server.send("GET", "/admin/", null).status()).isEqualTo(200);
    }

    @Test
    void theClusterIsEveryNodeWithItsDevicesAndEveryVersionWithItsCopies() {
        mesh.mesh = new MeshView(
                "node-a",
                List.of("node-a", "node-b"),
                List.of(new MeshView.Node(
                        "node-a",
                        "10.0.0.1:8001",
                        true,
                        1234,
                        List.of(new MeshView.Device("cpu0", "cpu", 100, 30, 20, 2)))),
                List.of(new MeshView.Version(
                        "m",
                        3,
                        List.of(
                                new MeshView.Copy("node-a", "cpu0", CopyState.READY, 30, 99, 1.5, 77, ""),
                                new MeshView.Copy("node-b", "cpu0", CopyState.FAILED, 0, 0, 0, 78, "out of memory")))));
        AdminServer.Reply r = server.admin("GET", "/api/v1/cluster", null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("cache-control")).isEqualTo("no-store");
        assertThat(r.body())
                .isEqualTo("{\"node\":\"node-a\",\"members\":[\"node-a\",\"node-b\"],\"nodes\":[{\"id\":\"node-a\","
                        + "\"grpc\":\"10.0.0.1:8001\",\"draining\":true,\"updated_at_ms\":1234,\"devices\":[{\"id\":\"cpu0\","
                        + "\"kind\":\"cpu\",\"capacity_bytes\":100,\"used_bytes\":30,\"reserved_bytes\":20,\"free_bytes\":50,"
                        + "\"in_flight\":2}]}],\"models\":[{\"model\":\"m\",\"version\":\"3\",\"copies\":[{\"node\":\"node-a\","
                        + "\"device\":\"cpu0\",\"state\":\"READY\",\"bytes\":30,\"last_used_ms\":99,\"request_rate\":1.5,"
                        + "\"since_ms\":77},{\"node\":\"node-b\",\"device\":\"cpu0\",\"state\":\"FAILED\",\"bytes\":0,"
                        + "\"last_used_ms\":0,\"request_rate\":0.0,\"since_ms\":78,\"reason\":\"out of memory\"}]}]}");
    }

    @Test
    void aModelRowSumsItsCopiesAndTellsItsLatestLoadAndError() {
        AdminEvent loaded = event(5, "LOADED", "m", 0, "");
        AdminEvent failed = event(6, "LOAD_FAILED", "m", 0, "session: bad graph");
        mesh.models = List.of(
                new ModelFigures(
                        "m",
                        List.of("1", "2"),
                        "READY",
                        "",
                        List.of(
                                new MeshView.Version(
                                        "m",
                                        1,
                                        List.of(
                                                copy("node-a", CopyState.READY, 2.0, 40),
                                                copy("node-b", CopyState.LOADING, 0, 50))),
                                new MeshView.Version("m", 2, List.of(copy("node-b", CopyState.READY, 1.5, 60)))),
                        OptionalLong.of(1000),
                        OptionalLong.of(900),
                        false,
                        true,
                        Optional.of(new ModelFigures.Traffic(3.25, OptionalDouble.of(1.5), OptionalDouble.of(9.5))),
                        Optional.of(loaded),
                        Optional.of(failed)),
                figures("idle", List.of(), "UNAVAILABLE", "cannot read the artifact"),
                figures("failing", List.of(new MeshView.Version("failing", 1, List.of(failedCopy("oom")))), "", ""),
                figures(
                        "unloading",
                        List.of(new MeshView.Version(
                                "unloading", 1, List.of(copy("node-a", CopyState.UNLOADING, 0, 3)))),
                        "",
                        ""));

        JsonObject all = server.admin("GET", "/api/v1/models", null).json();
        assertThat(all.getString("node")).isEqualTo(FakeMesh.NODE);
        assertThat(all.getLong("generated_at_ms")).isEqualTo(AdminServer.NOW_MS);
        JsonArray rows = all.getJsonArray("models");
        assertThat(rows.getJsonObject(0).encode())
                .isEqualTo(
                        "{\"name\":\"m\",\"versions\":[\"1\",\"2\"],\"copies\":[{\"node\":\"node-a\",\"device\":\"cpu0\","
                                + "\"version\":\"1\",\"state\":\"READY\",\"bytes\":10},{\"node\":\"node-b\",\"device\":\"cpu0\","
                                + "\"version\":\"1\",\"state\":\"LOADING\",\"bytes\":10},{\"node\":\"node-b\",\"device\":\"cpu0\","
                                + "\"version\":\"2\",\"state\":\"READY\",\"bytes\":10}],\"ready_copies\":2,\"rps\":3.5,"
                                + "\"pinned\":true,\"repo_state\":\"READY\",\"state\":\"READY\",\"pinned_by\":\"admin\","
                                + "\"predicted_bytes\":1000,\"measured_bytes\":900,\"p50_ms\":1.5,\"p99_ms\":9.5,\"rps_here\":3.25,"
                                + "\"last_load_ms\":120,\"last_loaded_at_ms\":5000,\"last_error\":\"session: bad graph\","
                                + "\"last_error_at_ms\":6000}");
        // No copy anywhere: no state; the repository's error is the last error; no sizes known.
        assertThat(rows.getJsonObject(1).encode())
                .isEqualTo(
                        "{\"name\":\"idle\",\"versions\":[],\"copies\":[],\"ready_copies\":0,\"rps\":0.0,"
                                + "\"pinned\":false,\"repo_state\":\"UNAVAILABLE\",\"last_error\":\"cannot read the artifact\"}");
        // A failed copy's reason when the timeline holds no failure; the state of the most advanced copy.
        assertThat(rows.getJsonObject(2).getString("state")).isEqualTo("FAILED");
        assertThat(rows.getJsonObject(2).getString("last_error")).isEqualTo("oom");
        assertThat(rows.getJsonObject(2).containsKey("last_error_at_ms")).isFalse();
        assertThat(rows.getJsonObject(3).getString("state")).isEqualTo("UNLOADING");
        assertThat(rows.getJsonObject(3).containsKey("last_loaded_at_ms")).isFalse();
    }

    @Test
    void aPinByConfigWinsAndALoadedCopyDatesTheLoadWithoutAnEvent() {
        mesh.models = List.of(new ModelFigures(
                "c",
                List.of("1"),
                "READY",
                "",
                List.of(new MeshView.Version("c", 1, List.of(copy("node-a", CopyState.READY, 0, 4242)))),
                OptionalLong.empty(),
                OptionalLong.empty(),
                true,
                true,
                Optional.empty(),
                Optional.empty(),
                Optional.empty()));
        JsonObject row = server.admin("GET", "/api/v1/models", null)
                .json()
                .getJsonArray("models")
                .getJsonObject(0);
        assertThat(row.getString("pinned_by")).isEqualTo("config");
        assertThat(row.getLong("last_loaded_at_ms")).isEqualTo(4242);
        assertThat(row.fieldNames())
                .doesNotContain("last_load_ms", "p99_ms", "rps_here", "predicted_bytes", "last_error");
    }

    @Test
    void loadTakesAnOptionalVersionAndNodeAndAnswersWhereItLoaded() {
        AdminServer.Reply plain = server.admin("POST", "/api/v1/models/m/load", null);
        assertThat(plain.status()).as(plain.body()).isEqualTo(200);
        assertThat(plain.json())
                .isEqualTo(
                        new JsonObject().put("model", "m").put("version", "1").put("node", FakeMesh.NODE));
        AdminServer.Reply there =
                server.admin("POST", "/api/v1/models/m/load", "{\"version\": 3, \"node\": \"node-b\"}");
        assertThat(there.json())
                .isEqualTo(
                        new JsonObject().put("model", "m").put("version", "3").put("node", "node-b"));
        // A node that is not a string is no node.
        assertThat(server.admin("POST", "/api/v1/models/m/load", "{\"node\": 7}")
                        .status())
                .isEqualTo(200);
        assertThat(mesh.calls).containsExactly("load m - -", "load m 3 node-b", "load m - -");
    }

    @Test
    void badInputIsA400NamingWhatIsWrong() {
        assertThat(server.admin("POST", "/api/v1/models/m/load", "[1,2").error())
                .isEqualTo("request body must be a JSON object");
        assertThat(server.admin("POST", "/api/v1/models/m/unload", "\"text\"").status())
                .isEqualTo(400);
        assertThat(server.admin("POST", "/api/v1/models/m/load", "{\"version\": \"next\"}")
                        .error())
                .contains("not a positive integer");
        assertThat(server.admin("POST", "/api/v1/models/.hidden/pin", null).status())
                .isEqualTo(400);
        for (String path : List.of("/api/v1/nodes/-lead/drain", "/api/v1/nodes/" + "n".repeat(65) + "/undrain")) {
            AdminServer.Reply r = server.admin("POST", path, null);
            assertThat(r.status()).as(path).isEqualTo(400);
            assertThat(r.error()).isEqualTo("node id must be 1-64 letters, digits, '.', '_' or '-'");
        }
        assertThat(server.admin("GET", "/api/v1/events?after=soon", null).error())
                .isEqualTo("query parameter 'after' must be an integer");
        assertThat(server.admin("GET", "/api/v1/events?limit=1.5", null).error())
                .isEqualTo("query parameter 'limit' must be an integer");
        AdminServer.Reply big =
                server.admin("POST", "/api/v1/models/m/load", "{\"x\": \"" + "y".repeat(17 * 1024) + "\"}");
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.error()).contains("16384 bytes");
        assertThat(mesh.calls).noneMatch(c -> c.startsWith("drain") || c.startsWith("undrain"));
    }

    @Test
    void theBackendsRefusalsKeepTheirStatus() {
        mesh.failNext = AdminFailure.notFound("node 'node-zz' is not in the mesh");
        AdminServer.Reply missing = server.admin("POST", "/api/v1/models/m/load", "{\"node\": \"node-zz\"}");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.error()).isEqualTo("node 'node-zz' is not in the mesh");
        mesh.failNext = AdminFailure.conflict("model 'm' is pinned; unpin it first (it would be placed again)");
        AdminServer.Reply pinned = server.admin("POST", "/api/v1/models/m/unload", null);
        assertThat(pinned.status()).isEqualTo(409);
        assertThat(pinned.error()).contains("pinned");
        mesh.failNext = AdminFailure.of(AdminFailure.Kind.TOO_MANY_REQUESTS, "no node has room");
        assertThat(server.admin("POST", "/api/v1/models/m/load", null).status()).isEqualTo(429);
        mesh.failNext = new IllegalStateException("a bug at /opt/modelmux/secret");
        AdminServer.Reply bug = server.admin("POST", "/api/v1/nodes/node-b/drain", null);
        assertThat(bug.status()).isEqualTo(500);
        assertThat(bug.body()).doesNotContain("secret");
    }

    @Test
    void unloadPinAndDrainAnswerWhatTheyDid() {
        assertThat(server.admin("POST", "/api/v1/models/m/unload", "{\"node\": \"node-a\"}")
                        .json())
                .isEqualTo(new JsonObject()
                        .put("model", "m")
                        .put(
                                "unloaded",
                                new JsonArray()
                                        .add(new JsonObject()
                                                .put("node", "node-a")
                                                .put("version", "1"))
                                        .add(new JsonObject()
                                                .put("node", "node-b")
                                                .put("version", "2"))));
        assertThat(server.admin("POST", "/api/v1/models/m/pin", "").json())
                .isEqualTo(
                        new JsonObject().put("model", "m").put("pinned", true).put("changed", true));
        assertThat(server.admin("POST", "/api/v1/models/m/unpin", null).json())
                .isEqualTo(
                        new JsonObject().put("model", "m").put("pinned", false).put("changed", true));
        assertThat(server.admin("POST", "/api/v1/nodes/node-b.x_1/drain", null).json())
                .isEqualTo(new JsonObject()
                        .put("node", "node-b.x_1")
                        .put("draining", true)
                        .put("changed", true));
        assertThat(server.admin("POST", "/api/v1/nodes/node-b/undrain", null).json())
                .isEqualTo(new JsonObject()
                        .put("node", "node-b")
                        .put("draining", false)
                        .put("changed", false));
        assertThat(mesh.calls)
                .containsExactly("unload m node-a", "pin m", "unpin m", "drain node-b.x_1", "undrain node-b");
    }

    @Test
    void eventsAreTheNewestAfterASequenceNumberBoundedByWhatTheNodeKeeps() {
        IntStream.rangeClosed(1, 8).forEach(i -> mesh.publish(event(i, "LOADED", i % 2 == 0 ? "m" : "", 3, "")));
        JsonObject page = server.admin("GET", "/api/v1/events", null).json();
        assertThat(page.getLong("last_seq")).isEqualTo(8);
        JsonArray events = page.getJsonArray("events");
        assertThat(events.stream().map(o -> ((JsonObject) o).getLong("seq"))).containsExactly(4L, 5L, 6L, 7L, 8L);
        assertThat(events.getJsonObject(4).encode())
                .isEqualTo("{\"seq\":8,\"at_ms\":8000,\"kind\":\"LOADED\",\"node\":\"node-a\",\"actor\":\"mesh\","
                        + "\"device\":\"cpu0\",\"model\":\"m\",\"version\":\"3\",\"bytes\":10,\"millis\":120}");
        assertThat(events.getJsonObject(3).encode())
                .isEqualTo("{\"seq\":7,\"at_ms\":7000,\"kind\":\"LOADED\",\"node\":\"node-a\",\"actor\":\"mesh\","
                        + "\"device\":\"cpu0\",\"bytes\":10,\"millis\":120}");
        assertThat(server.admin("GET", "/api/v1/events?after=6&limit=1", null)
                        .json()
                        .getJsonArray("events")
                        .size())
                .isEqualTo(1);
        assertThat(server.admin("GET", "/api/v1/events?after=6&limit=0", null)
                        .json()
                        .getJsonArray("events")
                        .getJsonObject(0)
                        .getLong("seq"))
                .isEqualTo(8);
        assertThat(server.admin("GET", "/api/v1/events?after=8", null).json().getJsonArray("events"))
                .isEmpty();
    }

    static AdminEvent event(long seq, String kind, String model, long version, String detail) {
        return new AdminEvent(seq, seq * 1000, kind, "node-a", "mesh", "cpu0", model, version, 10, 120, detail);
    }

    private static MeshView.Copy copy(String node, CopyState state, double rate, long since) {
        return new MeshView.Copy(node, "cpu0", state, 10, 0, rate, since, "");
    }

    private static MeshView.Copy failedCopy(String reason) {
        return new MeshView.Copy("node-a", "cpu0", CopyState.FAILED, 0, 0, 0, 1, reason);
    }

    private static ModelFigures figures(
            String name, List<MeshView.Version> copies, String repoState, String repoError) {
        return new ModelFigures(
                name,
                List.of(),
                repoState,
                repoError,
                copies,
                OptionalLong.empty(),
                OptionalLong.empty(),
                false,
                false,
                Optional.empty(),
                Optional.empty(),
                Optional.empty());
    }
}
