package dev.modelmux.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.tensors.Half;
import dev.modelmux.node.tensors.TensorLimits;
import dev.modelmux.repo.DataType;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
    private final JsonCodec codec = new JsonCodec(new TensorLimits(1 << 20, 1 << 16, 8));

    private InferRequest decode(String json) {
        return codec.decode("m", null, new JsonObject(json), Long.MAX_VALUE);
    }

    @Test
    void nestedAndFlatDataDecodeTheSame() {
        InferRequest nested =
                decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[[1,2],[3,4]]}]}");
        InferRequest flat =
                decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}");
        assertThat(nested.inputs().get(0).raw()).isEqualTo(flat.inputs().get(0).raw());
        assertThat(flat.inputs().get(0).raw().order(ByteOrder.LITTLE_ENDIAN).getFloat(12))
                .isEqualTo(4f);
    }

    @Test
    void countTypeAndRangeErrorsSayWhatIsWrong() {
        assertThatThrownBy(() ->
                        decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[3],\"datatype\":\"FP32\",\"data\":[1,2]}]}"))
                .hasMessageContaining("has 2 values")
                .hasMessageContaining("needs 3");
        assertThatThrownBy(() ->
                        decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1,2]}]}"))
                .hasMessageContaining("more values than its shape");
        assertThatThrownBy(() ->
                        decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT32\",\"data\":[\"a\"]}]}"))
                .hasMessageContaining("must be numbers");
        assertThatThrownBy(() ->
                        decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"UINT8\",\"data\":[256]}]}"))
                .hasMessageContaining("out of range");
        assertThatThrownBy(() ->
                        decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT64\",\"data\":[1.5]}]}"))
                .hasMessageContaining("not an integer");
        assertThatThrownBy(() ->
                        decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[-1],\"datatype\":\"FP32\",\"data\":[]}]}"))
                .hasMessageContaining("negative");
        assertThatThrownBy(() -> decode("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\"}]}"))
                .hasMessageContaining("'data' must be an array");
        assertThatThrownBy(() -> decode("{\"inputs\":{}}")).hasMessageContaining("'inputs' must be an array");
    }

    @Test
    void halfPrecisionAndBytesRoundTrip() {
        InferRequest r =
                decode("{\"inputs\":[{\"name\":\"h\",\"shape\":[3],\"datatype\":\"FP16\",\"data\":[1.5,-2,65504]},"
                        + "{\"name\":\"s\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[\"héllo\"]}]}");
        JsonObject out = codec.encode(
                "m",
                1,
                "",
                new InferenceResult(List.of(r.inputs().get(0), r.inputs().get(1)), 0, 0));
        assertThat(out.getJsonArray("outputs")
                        .getJsonObject(0)
                        .getJsonArray("data")
                        .getList())
                .containsExactly(1.5f, -2f, 65504f);
        assertThat(out.getJsonArray("outputs")
                        .getJsonObject(1)
                        .getJsonArray("data")
                        .getString(0))
                .isEqualTo("héllo");
    }

    @Test
    void halfConversionRoundsToNearestEven() {
        for (float f : new float[] {0f, -0f, 1f, 0.1f, 1e-7f, 65504f, 1e6f, Float.NaN}) {
            float back = Half.toFloat(Half.fromFloat(f));
            if (Float.isNaN(f)) {
                assertThat(back).isNaN();
            } else if (Math.abs(f) > 65504) {
                assertThat(back).isInfinite();
            } else {
                assertThat((double) back).isCloseTo(f, Assertions.within(Math.max(Math.abs(f) * 1e-3, 1e-7)));
            }
        }
    }

    @Test
    void encodesUnsignedAndBool() {
        TensorData u = TensorData.ofRaw("u", DataType.UINT8, new long[] {1}, ByteBuffer.wrap(new byte[] {(byte) 200}));
        TensorData b = TensorData.ofRaw("b", DataType.BOOL, new long[] {1}, ByteBuffer.wrap(new byte[] {1}));
        JsonObject out = codec.encode("m", 1, "x", new InferenceResult(List.of(u, b), 0, 0));
        assertThat(out.getJsonArray("outputs")
                        .getJsonObject(0)
                        .getJsonArray("data")
                        .getInteger(0))
                .isEqualTo(200);
        assertThat(out.getJsonArray("outputs")
                        .getJsonObject(1)
                        .getJsonArray("data")
                        .getBoolean(0))
                .isTrue();
        assertThat(out.getString("id")).isEqualTo("x");
    }
}
