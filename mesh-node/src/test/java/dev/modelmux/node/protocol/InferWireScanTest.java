package dev.modelmux.node.protocol;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.InferTensorContents;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.tensors.TensorLimits;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class InferWireScanTest {
    private static final TensorLimits LIMITS = new TensorLimits(64 << 20, 1 << 20, 8);

    @Test
    void contentsWithMoreValuesThanTheShapeAreRefusedBeforeTheParse() {
        InferTensorContents.Builder c = InferTensorContents.newBuilder();
        for (int i = 0; i < 1000; i++) {
            c.addInt64Contents(1);
        }
        byte[] msg = request("x", "INT64", c, 4).toByteArray();
        assertThatThrownBy(() -> InferWireScan.check(msg, LIMITS))
                .isInstanceOf(ServingException.class)
                .hasMessage("input 'x': int64_contents has 1000 values but shape [4] needs 4");
    }

    @Test
    void everyTypedFieldIsCountedPackedOrNot() {
        InferTensorContents.Builder fp32 = InferTensorContents.newBuilder();
        float[] f = new float[9];
        Arrays.fill(f, 1f);
        for (float v : f) {
            fp32.addFp32Contents(v);
        }
        assertThatThrownBy(
                        () -> InferWireScan.check(request("f", "FP32", fp32, 8).toByteArray(), LIMITS))
                .hasMessageContaining("fp32_contents has 9 values");
        InferTensorContents.Builder bytes = InferTensorContents.newBuilder()
                .addBytesContents(ByteString.copyFromUtf8("a"))
                .addBytesContents(ByteString.copyFromUtf8("b"));
        assertThatThrownBy(() ->
                        InferWireScan.check(request("s", "BYTES", bytes, 1).toByteArray(), LIMITS))
                .hasMessageContaining("bytes_contents has 2 values");
        InferTensorContents.Builder fine =
                InferTensorContents.newBuilder().addFp64Contents(1).addFp64Contents(2);
        assertThatCode(() -> InferWireScan.check(request("d", "FP64", fine, 2).toByteArray(), LIMITS))
                .doesNotThrowAnyException();
    }

    @Test
    void shapesPastTheLimitsAreRefusedAndMalformedBytesLeftToProtobuf() {
        ModelInferRequest.InferInputTensor.Builder in =
                ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32");
        for (int i = 0; i < 100; i++) {
            in.addShape(1);
        }
        byte[] wide = ModelInferRequest.newBuilder().addInputs(in).build().toByteArray();
        assertThatThrownBy(() -> InferWireScan.check(wide, LIMITS)).hasMessageContaining("rank");
        byte[] huge =
                request("x", "FP32", InferTensorContents.newBuilder(), 1 << 21).toByteArray();
        assertThatThrownBy(() -> InferWireScan.check(huge, LIMITS)).hasMessageContaining("exceeds the limit");
        byte[] truncated = Arrays.copyOf(huge, huge.length - 2);
        assertThatCode(() -> InferWireScan.check(truncated, LIMITS)).doesNotThrowAnyException();
        assertThatCode(() -> InferWireScan.check(new byte[] {(byte) 0xff, (byte) 0xff}, LIMITS))
                .doesNotThrowAnyException();
    }

    private static ModelInferRequest request(String name, String type, InferTensorContents.Builder c, long... shape) {
        ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                .setName(name)
                .setDatatype(type)
                .setContents(c);
        for (long d : shape) {
            in.addShape(d);
        }
        return ModelInferRequest.newBuilder().setModelName("m").addInputs(in).build();
    }
}
