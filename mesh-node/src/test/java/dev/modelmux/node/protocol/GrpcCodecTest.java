package dev.modelmux.node.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.InferTensorContents;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.path.InferRequest;
import dev.modelmux.node.tensors.TensorLimits;
import dev.modelmux.repo.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrpcCodecTest {
    private final GrpcCodec codec = new GrpcCodec(new TensorLimits(64 << 20, 1 << 20, 8));

    private static ModelInferRequest.InferInputTensor.Builder input(String name, String type, long... shape) {
        ModelInferRequest.InferInputTensor.Builder b =
                ModelInferRequest.InferInputTensor.newBuilder().setName(name).setDatatype(type);
        for (long d : shape) {
            b.addShape(d);
        }
        return b;
    }

    private static ModelInferRequest raw(ModelInferRequest.InferInputTensor.Builder in, byte[] bytes) {
        return ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(in)
                .addRawInputContents(ByteString.copyFrom(bytes))
                .build();
    }

    private ServingException rejected(ModelInferRequest req) {
        try {
            codec.decode(req, Long.MAX_VALUE);
        } catch (ServingException e) {
            assertThat(e.code()).isEqualTo(ServingException.Code.INVALID_ARGUMENT);
            return e;
        }
        throw new AssertionError("request was accepted");
    }

    @Test
    void rawFp32Decodes() {
        ByteBuffer b = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(1.5f)
                .putFloat(-2f);
        InferRequest r = codec.decode(raw(input("x", "FP32", 1, 2), b.array()), Long.MAX_VALUE);
        TensorData t = r.inputs().get(0);
        assertThat(t.type()).isEqualTo(DataType.FP32);
        assertThat(t.shape()).containsExactly(1, 2);
        assertThat(t.raw().order(ByteOrder.LITTLE_ENDIAN).getFloat(4)).isEqualTo(-2f);
    }

    @Test
    void rawByteCountMustMatchShapeExactly() {
        assertThat(rejected(raw(input("x", "FP32", 2, 2), new byte[15])).getMessage())
                .contains("raw content is 15 bytes")
                .contains("needs 16");
        rejected(raw(input("x", "FP32", 2, 2), new byte[17]));
    }

    @Test
    void negativeAndOverflowingDimsAreRejectedBeforeAllocating() {
        assertThat(rejected(raw(input("x", "FP32", -1, 4), new byte[0])).getMessage())
                .contains("negative");
        GrpcCodec unlimited = new GrpcCodec(new TensorLimits(64 << 20, Long.MAX_VALUE, 8));
        assertThatThrownBy(() ->
                        unlimited.decode(raw(input("x", "FP32", 1L << 40, 1L << 40), new byte[0]), Long.MAX_VALUE))
                .hasMessageContaining("overflows");
        assertThatThrownBy(() -> unlimited.decode(raw(input("x", "FP64", 1L << 61), new byte[0]), Long.MAX_VALUE))
                .hasMessageContaining("size overflows");
        assertThat(rejected(raw(input("x", "INT8", 1L << 21), new byte[0])).getMessage())
                .contains("exceeds the limit of 1048576 elements");
        assertThat(rejected(raw(input("x", "INT8", 1L << 10, 1L << 11), new byte[0]))
                        .getMessage())
                .contains("more than");
        assertThat(rejected(raw(input("x", "INT8", 0, Long.MAX_VALUE), new byte[0]))
                        .getMessage())
                .as("a zero-sized dim does not switch the bound off")
                .contains("exceeds the limit");
        assertThat(rejected(raw(input("x", "FP32", 1, 1, 1, 1, 1, 1, 1, 1, 1), new byte[4]))
                        .getMessage())
                .contains("rank");
    }

    @Test
    void unknownDatatypeListsTheValidOnes() {
        assertThat(rejected(raw(input("x", "FLOAT", 1), new byte[4])).getMessage())
                .contains("unknown datatype 'FLOAT'")
                .contains("FP32");
    }

    @Test
    void rawAndContentsForOneInputIsRejected() {
        ModelInferRequest req = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "FP32", 1)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1f)))
                .addRawInputContents(ByteString.copyFrom(new byte[4]))
                .build();
        assertThat(rejected(req).getMessage()).contains("both contents and raw_input_contents");
    }

    @Test
    void rawCountMustMatchInputCount() {
        ModelInferRequest req = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "FP32", 1))
                .addInputs(input("y", "FP32", 1))
                .addRawInputContents(ByteString.copyFrom(new byte[4]))
                .build();
        assertThat(rejected(req).getMessage()).contains("raw_input_contents has 1 entries");
    }

    @Test
    void typedContentsMustUseTheFieldOfTheType() {
        ModelInferRequest wrongField = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "FP32", 2)
                        .setContents(InferTensorContents.newBuilder()
                                .addIntContents(1)
                                .addIntContents(2)))
                .build();
        assertThat(rejected(wrongField).getMessage())
                .contains("carries int_contents")
                .contains("fp32_contents");
        ModelInferRequest wrongCount = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "INT64", 3)
                        .setContents(InferTensorContents.newBuilder().addInt64Contents(1)))
                .build();
        assertThat(rejected(wrongCount).getMessage()).contains("has 1 values").contains("needs 3");
        ModelInferRequest outOfRange = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "INT8", 1)
                        .setContents(InferTensorContents.newBuilder().addIntContents(300)))
                .build();
        assertThat(rejected(outOfRange).getMessage()).contains("out of range");
        ModelInferRequest fp16 = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "FP16", 1)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                .build();
        assertThat(rejected(fp16).getMessage()).contains("raw_input_contents");
    }

    @Test
    void typedContentsDecodeLittleEndian() {
        ModelInferRequest req = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "INT16", 2)
                        .setContents(InferTensorContents.newBuilder()
                                .addIntContents(-2)
                                .addIntContents(513)))
                .build();
        ByteBuffer b = codec.decode(req, Long.MAX_VALUE).inputs().get(0).raw();
        assertThat(b.remaining()).isEqualTo(4);
        assertThat(b.order(ByteOrder.LITTLE_ENDIAN).getShort(2)).isEqualTo((short) 513);
    }

    @Test
    void bytesRawIsLengthPrefixedAndMustBeConsumedExactly() {
        byte[] ok = ByteBuffer.allocate(4 + 2 + 4 + 1)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(2)
                .put("hi".getBytes())
                .putInt(1)
                .put((byte) 'x')
                .array();
        List<byte[]> s = codec.decode(raw(input("x", "BYTES", 2), ok), Long.MAX_VALUE)
                .inputs()
                .get(0)
                .strings();
        assertThat(new String(s.get(0), StandardCharsets.UTF_8)).isEqualTo("hi");
        byte[] lies = ByteBuffer.allocate(8)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(1000)
                .putInt(0)
                .array();
        assertThat(rejected(raw(input("x", "BYTES", 1), lies)).getMessage()).contains("declares 1000 bytes");
        byte[] extra = ByteBuffer.allocate(9)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putInt(1)
                .put((byte) 1)
                .putInt(0)
                .array();
        assertThat(rejected(raw(input("x", "BYTES", 1), extra)).getMessage()).contains("beyond");
    }

    @Test
    void duplicateInputsAndNamelessInputsAreRejected() {
        ModelInferRequest dup = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("x", "FP32", 1)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                .addInputs(input("x", "FP32", 1)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                .build();
        assertThat(rejected(dup).getMessage()).contains("more than once");
        ModelInferRequest nameless = ModelInferRequest.newBuilder()
                .setModelName("m")
                .addInputs(input("", "FP32", 1)
                        .setContents(InferTensorContents.newBuilder().addFp32Contents(1)))
                .build();
        assertThat(rejected(nameless).getMessage()).contains("no name");
    }

    @Test
    void outputsEncodeAsRaw() {
        ByteBuffer b = ByteBuffer.allocate(4)
                .order(ByteOrder.LITTLE_ENDIAN)
                .putFloat(3f)
                .flip();
        ModelInferResponse r = codec.encode(
                "m",
                2,
                "id-1",
                new InferenceResult(
                        List.of(
                                TensorData.ofRaw("y", DataType.FP32, new long[] {1, 1}, b),
                                TensorData.ofStrings("s", new long[] {1}, List.of("ab".getBytes()))),
                        0,
                        0));
        assertThat(r.getModelVersion()).isEqualTo("2");
        assertThat(r.getId()).isEqualTo("id-1");
        assertThat(r.getOutputs(0).getShapeList()).containsExactly(1L, 1L);
        assertThat(r.getRawOutputContents(0)
                        .asReadOnlyByteBuffer()
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .getFloat())
                .isEqualTo(3f);
        assertThat(r.getRawOutputContents(1).toByteArray()).containsExactly(2, 0, 0, 0, 'a', 'b');
    }
}
