package dev.modelmux.admin.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.placement.capacity.CapacityPlan;
import dev.modelmux.placement.capacity.CapacityPolicy;
import dev.modelmux.placement.capacity.ModelDemand;
import dev.modelmux.placement.capacity.NodeCapacity;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code GET /api/v1/capacity} over a fake source: the query it is asked, the plan as JSON, bad parameters. */
class CapacityRoutesTest {
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
    void theDefaultsAskForTheWholeRetentionAndThePlanIsWrittenOut() {
        mesh.plan = CapacityPlan.compute(
                List.of(
                        new ModelDemand("busy", 40, 20, OptionalDouble.of(0.05), OptionalDouble.of(2), 1000, 1, 0, 0.1),
                        ModelDemand.idle("spare", 500)),
                List.of(new NodeCapacity("node-a", 10_000, 3000, 10_000, false)),
                CapacityPolicy.defaults());
        AdminServer.Reply r = server.admin("GET", "/api/v1/capacity", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(mesh.lastQuery.windowMillis()).isEqualTo(mesh.retentionMillis());
        assertThat(mesh.lastQuery.policy()).isEqualTo(CapacityPolicy.defaults());
        assertThat(mesh.lastQuery.extraTrafficShare()).isZero();

        JsonObject advice = r.json();
        assertThat(advice.getString("node")).isEqualTo(FakeMesh.NODE);
        assertThat(advice.getLong("generated_at_ms")).isEqualTo(AdminServer.NOW_MS);
        assertThat(advice.getDouble("window_covered_seconds")).isEqualTo(60.0);
        assertThat(advice.getJsonObject("parameters"))
                .isEqualTo(new JsonObject()
                        .put("target_utilization", 0.6)
                        .put("window_seconds", 900.0)
                        .put("reaction_time_seconds", 10.0)
                        .put("extra_traffic_share", 0.0));
        JsonObject busy = advice.getJsonArray("models").getJsonObject(0);
        var a = mesh.plan.models().get(0);
        assertThat(busy.getString("model")).isEqualTo("busy");
        assertThat(busy.getString("status")).isEqualTo(a.status().label());
        assertThat(busy.getDouble("p99_inference_seconds")).isEqualTo(0.05);
        assertThat(busy.getDouble("load_seconds")).isEqualTo(2.0);
        assertThat(busy.getInteger("required_copies")).isEqualTo(a.requiredCopies());
        assertThat(busy.getJsonObject("copies").fieldNames())
                .containsExactly("base", "load_headroom", "failover_headroom", "floor");
        assertThat(busy.getLong("required_memory_bytes")).isEqualTo(a.requiredBytes());
        JsonObject spare = advice.getJsonArray("models").getJsonObject(1);
        assertThat(spare.containsKey("p99_inference_seconds")).isTrue();
        assertThat(spare.getValue("p99_inference_seconds")).isNull();
        JsonObject cluster = advice.getJsonObject("cluster");
        assertThat(cluster.getInteger("nodes")).isEqualTo(1);
        assertThat(cluster.getLong("capacity_bytes")).isEqualTo(10_000);
        assertThat(cluster.getJsonArray("over_provisioned").getList())
                .isEqualTo(mesh.plan.cluster().overProvisioned());
    }

    @Test
    void parametersChangeTheQuery() {
        AdminServer.Reply r = server.admin(
                "GET",
                "/api/v1/capacity?target_utilization=1&window=10m&extra_traffic_share=0.5&reaction_time=1500ms",
                null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(mesh.lastQuery.policy()).isEqualTo(new CapacityPolicy(1, 1.5));
        assertThat(mesh.lastQuery.windowMillis()).isEqualTo(600_000);
        assertThat(mesh.lastQuery.extraTrafficShare()).isEqualTo(0.5);
        assertThat(server.admin("GET", "/api/v1/capacity?window=90", null).status())
                .isEqualTo(200);
        assertThat(mesh.lastQuery.windowMillis()).isEqualTo(90_000);
        assertThat(server.admin("GET", "/api/v1/capacity?window=1h&reaction_time=1h", null)
                        .status())
                .isEqualTo(400);
    }

    @Test
    void aBadParameterIsA400NamingIt() {
        for (String[] bad : new String[][] {
            {"target_utilization=0", "target_utilization"},
            {"target_utilization=1.5", "target_utilization"},
            {"target_utilization=lots", "target_utilization"},
            {"target_utilization=NaN", "target_utilization"},
            {"window=5s", "window"},
            {"window=16m", "window"},
            {"window=soon", "window"},
            {"extra_traffic_share=-1", "extra_traffic_share"},
            {"extra_traffic_share=11", "extra_traffic_share"},
            {"reaction_time=2h", "reaction_time"},
            {"reaction_time=-1s", "reaction_time"}
        }) {
            AdminServer.Reply r = server.admin("GET", "/api/v1/capacity?" + bad[0], null);
            assertThat(r.status()).as(bad[0]).isEqualTo(400);
            assertThat(r.error()).as(bad[0]).startsWith(bad[1] + ":");
        }
        mesh.lastQuery = null;
        assertThat(server.admin("GET", "/api/v1/capacity?window=4s", null).status())
                .isEqualTo(400);
        assertThat(mesh.lastQuery).isNull();
    }
}
