package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.catalog.ControlMode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A request that cannot run is refused from the model's configuration before anything is loaded:
 * garbage from a caller allowed to call models cannot churn the cache or evict other tenants' models.
 * Both a declared configuration and one derived from the graph (no config.pbtxt) are checked.
 */
class BadRequestsLoadNothingTest {
    @TempDir
    static Path tmp;

    static NodeFixture node;

    @BeforeAll
    static void start() {
        Path repo = tmp.resolve("repo");
        new TestRepo(repo).mlp("declared", 1, 16, 4, 20_000, 1).file("derived", 1, TestRepo.mlpBytes(8, 2, 20_000, 2));
        node = NodeFixture.start(repo, tmp.resolve("data"), 256L << 20, ControlMode.POLL);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void wrongShapeDtypeNameOrOutputIsRefusedWithoutLoading() {
        for (String model : new String[] {"declared", "derived"}) {
            int width = model.equals("declared") ? 16 : 8;
            assertRefused(model, input("input", "FP32", new long[] {1, width + 1}, width + 1), "must have shape");
            assertRefused(model, input("input", "INT64", new long[] {1, width}, width), "is FP32, not INT64");
            assertRefused(model, input("nope", "FP32", new long[] {1, width}, width), "has no input 'nope'");
            JsonObject unknownOutput = input("input", "FP32", new long[] {1, width}, width)
                    .put("outputs", new JsonArray().add(new JsonObject().put("name", "nope")));
            assertRefused(model, unknownOutput, "has no output 'nope'");
            assertThat(state(model)).as("%s after four bad requests", model).isNotEqualTo("READY");
        }
        // A good request loads and answers; the same bad requests are then refused by the loaded version.
        OipClient.Http ok = node.client.post(
                "/v2/models/derived/infer",
                input("input", "FP32", new long[] {1, 8}, 8).encode());
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(state("derived")).isEqualTo("READY");
        assertRefused("derived", input("input", "FP32", new long[] {1, 9}, 9), "must have shape");
    }

    private static void assertRefused(String model, JsonObject body, String message) {
        OipClient.Http r = node.client.post("/v2/models/" + model + "/infer", body.encode());
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(new JsonObject(r.body()).getString("error")).contains(message);
    }

    private static JsonObject input(String name, String datatype, long[] shape, int n) {
        JsonArray data = new JsonArray();
        for (int i = 0; i < n; i++) {
            data.add(datatype.equals("FP32") ? 0.5 : 1);
        }
        JsonArray dims = new JsonArray();
        for (long d : shape) {
            dims.add(d);
        }
        return new JsonObject()
                .put(
                        "inputs",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("name", name)
                                        .put("datatype", datatype)
                                        .put("shape", dims)
                                        .put("data", data)));
    }

    private static String state(String model) {
        JsonArray index =
                new JsonArray(node.client.post("/v2/repository/index", "").body());
        for (int i = 0; i < index.size(); i++) {
            JsonObject row = index.getJsonObject(i);
            if (row.getString("name").equals(model)) {
                return row.getString("state", "");
            }
        }
        throw new AssertionError(model + " is not in the index: " + index);
    }
}
