package dev.modelmux.repo.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.modelmux.repo.ArtifactRejectedException;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.onnx.TensorProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TensorCheckerTest {
    private final TensorChecker checker = new TensorChecker(new ScanContext("m", ScanLimits.defaults()));

    @ParameterizedTest(name = "{0} x{1} in raw_data = {2} bytes")
    @CsvSource({
        "FLOAT, 3, 12", "DOUBLE, 3, 24", "BOOL, 3, 3", "FLOAT16, 3, 6", "BFLOAT16, 5, 10", "COMPLEX64, 2, 16",
        "COMPLEX128, 2, 32", "INT4, 3, 2", "UINT4, 4, 2", "FLOAT4E2M1, 1, 1", "INT2, 5, 2", "UINT2, 4, 1",
        "FLOAT8E4M3FN, 7, 7", "UINT64, 2, 16", "INT64, 0, 0"
    })
    void rawDataSizeFollowsTheElementType(OnnxElementType type, long elements, int bytes) throws Exception {
        TensorProto ok = TensorProto.newBuilder()
                .setDataType(type.number())
                .addDims(elements)
                .setRawData(ByteString.copyFrom(new byte[bytes]))
                .build();
        assertThat(checker.check(ok, "t")).isEqualTo(bytes);

        if (bytes > 1) { // one byte less; an empty raw_data would mean "typed fields"
            TensorProto shortOne = ok.toBuilder()
                    .setRawData(ByteString.copyFrom(new byte[bytes - 1]))
                    .build();
            assertThatThrownBy(() -> checker.check(shortOne, "t"))
                    .isInstanceOf(ArtifactRejectedException.class)
                    .hasMessageContaining("but holds " + (bytes - 1) + " bytes of data");
        }
    }

    @Test
    void typedFieldsHoldTheRightNumberOfValues() throws Exception {
        // FLOAT16 bit patterns go into int32_data, one per element.
        assertThat(checker.check(
                        TensorProto.newBuilder()
                                .setDataType(10)
                                .addDims(2)
                                .addInt32Data(1)
                                .addInt32Data(2)
                                .build(),
                        "t"))
                .isEqualTo(4);
        // INT4: two elements per int32_data value.
        assertThat(checker.check(
                        TensorProto.newBuilder()
                                .setDataType(22)
                                .addDims(3)
                                .addInt32Data(1)
                                .addInt32Data(2)
                                .build(),
                        "t"))
                .isEqualTo(2);
        // COMPLEX64: two floats per element.
        assertThat(checker.check(
                        TensorProto.newBuilder()
                                .setDataType(14)
                                .addDims(1)
                                .addFloatData(1)
                                .addFloatData(2)
                                .build(),
                        "t"))
                .isEqualTo(8);
        // UINT32 lives in uint64_data.
        assertThat(checker.check(
                        TensorProto.newBuilder()
                                .setDataType(12)
                                .addDims(1)
                                .addUint64Data(7)
                                .build(),
                        "t"))
                .isEqualTo(4);
    }

    @Test
    void stringsCountElementsAndForbidRawData() throws Exception {
        TensorProto strings = TensorProto.newBuilder()
                .setDataType(8)
                .addDims(2)
                .addStringData(ByteString.copyFromUtf8("ab"))
                .addStringData(ByteString.copyFromUtf8("cde"))
                .build();
        assertThat(checker.check(strings, "t")).isEqualTo(5);

        assertThatThrownBy(() -> checker.check(strings.toBuilder().setDims(0, 3).build(), "t"))
                .hasMessage("model 'm': t declares 3 STRING elements but holds 2");
        assertThatThrownBy(() -> checker.check(
                        strings.toBuilder()
                                .setRawData(ByteString.copyFromUtf8("x"))
                                .build(),
                        "t"))
                .hasMessageContaining("stores strings in raw_data");
    }

    @Test
    void rawAndTypedDataTogetherAreRejected() {
        TensorProto both = TensorProto.newBuilder()
                .setDataType(1)
                .addDims(1)
                .addFloatData(1)
                .setRawData(ByteString.copyFrom(new byte[4]))
                .build();
        assertThatThrownBy(() -> checker.check(both, "t"))
                .hasMessageContaining("both in raw_data and in a typed field");
    }

    @Test
    void undefinedTypeAndSegmentsAreRejected() {
        assertThatThrownBy(
                        () -> checker.check(TensorProto.newBuilder().addDims(1).build(), "t"))
                .hasMessage("model 'm': t has no data type");
        assertThatThrownBy(() -> checker.check(
                        TensorProto.newBuilder()
                                .setDataType(1)
                                .setSegment(TensorProto.Segment.newBuilder()
                                        .setBegin(0)
                                        .setEnd(1))
                                .build(),
                        "t"))
                .hasMessageContaining("segmented tensors are not supported");
    }

    @Test
    void scalarHasOneElement() throws Exception {
        assertThat(checker.check(
                        TensorProto.newBuilder().setDataType(7).addInt64Data(5).build(), "t"))
                .isEqualTo(8);
    }

    @Test
    void escapeDetection() {
        assertThat(TensorChecker.escapesFolder("w.bin")).isFalse();
        assertThat(TensorChecker.escapesFolder("a/b/w.bin")).isFalse();
        assertThat(TensorChecker.escapesFolder("a..b")).isFalse();
        assertThat(TensorChecker.escapesFolder("a/../w")).isTrue();
        assertThat(TensorChecker.escapesFolder("/w")).isTrue();
        assertThat(TensorChecker.escapesFolder("\\\\server\\share\\w")).isTrue();
        assertThat(TensorChecker.escapesFolder("D:w")).isTrue();
        assertThat(TensorChecker.escapesFolder("w\0.bin")).isTrue();
    }
}
