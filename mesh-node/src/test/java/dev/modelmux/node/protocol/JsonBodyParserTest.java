package dev.modelmux.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class JsonBodyParserTest {
    private static JsonObject parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return JsonBodyParser.parse(b, 0, b.length);
    }

    @Test
    void theTreeIsWhatVertxWouldBuildWithEachInputsDataPacked() {
        String body = "{\"id\": \"r1\", \"parameters\": {\"n\": 3, \"big\": 12345678901, \"f\": 0.5, \"b\": true},"
                + " /* a comment */ \"inputs\": [{\"name\": \"x\", \"shape\": [2, 3], \"datatype\": \"INT64\","
                + " \"data\": [[1, -2, 9223372036854775807], [18446744073709551615, 2.5, true]]}],"
                + " \"outputs\": [{\"name\": \"y\", \"data\": [1, 2]}]}";
        JsonObject ours = parse(body);
        JsonObject vertx = new JsonObject(body.replace("/* a comment */", ""));
        JsonObject oursWithoutData = ours.copy();
        oursWithoutData.getJsonArray("inputs").getJsonObject(0).remove("data");
        JsonObject vertxWithoutData = vertx.copy();
        vertxWithoutData.getJsonArray("inputs").getJsonObject(0).remove("data");
        assertThat(oursWithoutData).isEqualTo(vertxWithoutData);
        assertThat(ours.getJsonObject("parameters").getValue("big")).isInstanceOf(Long.class);
        assertThat(ours.getJsonObject("parameters").getValue("n")).isInstanceOf(Integer.class);

        JsonArray data = ours.getJsonArray("inputs").getJsonObject(0).getJsonArray("data");
        assertThat(data.getList()).isInstanceOf(JsonBodyParser.PackedData.class);
        List<Object> flat = new ArrayList<>();
        vertx.getJsonArray("inputs")
                .getJsonObject(0)
                .getJsonArray("data")
                .forEach(row -> ((JsonArray) row).forEach(flat::add));
        assertThat(new ArrayList<>(data.getList())).isEqualTo(flat);
        assertThat(((JsonBodyParser.PackedData) data.getList()).depth()).isEqualTo(2);
        // Only an input's data is packed: an output's "data" is an ordinary array.
        assertThat(ours.getJsonArray("outputs")
                        .getJsonObject(0)
                        .getJsonArray("data")
                        .getList())
                .isNotInstanceOf(JsonBodyParser.PackedData.class);
    }

    @Test
    void stringsAndObjectsInDataComeBackAsTheyWere() {
        JsonArray data = parse("{\"inputs\": [{\"data\": [\"a\", {\"k\": 1}, null, false]}]}")
                .getJsonArray("inputs")
                .getJsonObject(0)
                .getJsonArray("data");
        assertThat(data.getValue(0)).isEqualTo("a");
        assertThat(data.getValue(1)).isEqualTo(new JsonObject().put("k", 1));
        assertThat(data.getValue(2)).isNull();
        assertThat(data.getValue(3)).isEqualTo(false);
    }

    @Test
    void whatIsNotOneJsonObjectIsRefused() {
        assertThatThrownBy(() -> parse("[1, 2]")).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> parse("{\"a\": 1} {")).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> parse("{\"inputs\": [{\"data\": [1, 2")).isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> parse("{\"a\": NaN}")).isInstanceOf(DecodeException.class);
    }
}
