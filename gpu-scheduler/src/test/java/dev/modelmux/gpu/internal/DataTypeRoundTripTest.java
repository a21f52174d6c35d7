package dev.modelmux.gpu.internal;

import static dev.modelmux.gpu.internal.TestModels.config;
import static dev.modelmux.gpu.internal.TestModels.cpu;
import static dev.modelmux.gpu.internal.TestModels.exactPool;
import static dev.modelmux.gpu.internal.TestModels.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.gpu.internal.TestModels.Events;
import dev.modelmux.gpu.internal.TestModels.FakeClock;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every element type the server speaks goes through an Identity model unchanged. */
class DataTypeRoundTripTest {
    private static DevicePool pool;

    @BeforeAll
    static void start() {
        pool = exactPool(config(0, cpu("cpu0", 256L << 20, 2)), new FakeClock(), new Events());
    }

    @AfterAll
    static void stop() {
        pool.close();
    }

    private static Lease identity(DataType type) throws Exception {
        String name = "id-" + type.name().toLowerCase();
        return pool.acquire(new ModelKey(name, 1), spec(name, OnnxModelBuilder.identity(type, -1, 3)))
                .get(60, TimeUnit.SECONDS);
    }

    /** Six elements of {@code type}, distinct and valid (booleans 0/1), as little-endian bytes. */
    private static ByteBuffer sample(DataType type, boolean direct) {
        int n = 6 * type.byteSize();
        ByteBuffer raw =
                (direct ? ByteBuffer.allocateDirect(n + 3) : ByteBuffer.allocate(n + 3)).order(ByteOrder.LITTLE_ENDIAN);
        raw.position(3); // the tensor's bytes start mid-buffer: position and limit are honoured
        for (int i = 0; i < 6; i++) {
            switch (type) {
                case BOOL -> raw.put((byte) (i % 2));
                case UINT8, INT8 -> raw.put((byte) (i * 37 - 90));
                case INT16 -> raw.putShort((short) (i * 9000 - 20000));
                case INT32 -> raw.putInt(i * 700_000_000 - 1_500_000_000);
                case INT64 -> raw.putLong(i * 3_000_000_000_000_000L - 7_000_000_000_000_000_000L);
                case FP16, BF16 -> raw.putShort((short) (0x3C00 + i * 0x0111));
                case FP32 -> raw.putFloat(i * 1.25f - 3.5f);
                case FP64 -> raw.putDouble(i * Math.PI - 1e300);
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        raw.flip().position(3);
        return raw;
    }

    @ParameterizedTest
    @EnumSource(
            value = DataType.class,
            names = {"BOOL", "UINT8", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16"})
    void fixedSizeTypesRoundTrip(DataType type) throws Exception {
        for (boolean direct : new boolean[] {false, true}) {
            ByteBuffer in = sample(type, direct);
            try (Lease lease = identity(type)) {
                assertThat(lease.model().inputs().get(0).type()).isEqualTo(type);
                TensorData out = lease.run(
                                List.of(TensorData.ofRaw("input", type, new long[] {2, 3}, in.duplicate())), Set.of())
                        .get(60, TimeUnit.SECONDS)
                        .outputs()
                        .get(0);
                assertThat(out.type()).isEqualTo(type);
                assertThat(out.shape()).containsExactly(2, 3);
                assertThat(out.raw()).isEqualTo(in);
            }
        }
    }

    @Test
    void bytesRoundTripAsUtf8() throws Exception {
        List<byte[]> strings = List.of(
                "".getBytes(StandardCharsets.UTF_8),
                "a".getBytes(StandardCharsets.UTF_8),
                "héllo wörld".getBytes(StandardCharsets.UTF_8),
                "日本".getBytes(StandardCharsets.UTF_8),
                "x y".getBytes(StandardCharsets.UTF_8),
                "😀".getBytes(StandardCharsets.UTF_8));
        try (Lease lease = identity(DataType.BYTES)) {
            TensorData out = lease.run(List.of(TensorData.ofStrings("input", new long[] {2, 3}, strings)), Set.of())
                    .get(60, TimeUnit.SECONDS)
                    .outputs()
                    .get(0);
            assertThat(out.type()).isEqualTo(DataType.BYTES);
            assertThat(out.shape()).containsExactly(2, 3);
            assertThat(out.strings()).containsExactlyElementsOf(strings);
        }
    }

    @ParameterizedTest
    @EnumSource(
            value = DataType.class,
            names = {"UINT16", "UINT32", "UINT64"})
    void typesTheJavaBindingCannotCreateAreBadInput(DataType type) throws Exception {
        String name = "id-" + type.name().toLowerCase();
        // A model with such an input could never be fed: it fails the gate.
        ModelLoadException refused = TestModels.loadFailure(
                pool.acquire(new ModelKey(name, 1), spec(name, OnnxModelBuilder.identity(type, -1, 3))));
        assertThat(refused.kind()).isEqualTo(ModelLoadException.Kind.SIGNATURE);
        assertThat(refused.getMessage()).contains(type.name(), "cannot feed");
        try (Lease fp32 = identity(DataType.FP32)) {
            ByteBuffer raw = ByteBuffer.allocate(6 * type.byteSize());
            assertThatThrownBy(() -> fp32.run(
                                    List.of(TensorData.ofRaw("input", type, new long[] {2, 3}, raw)), Set.of())
                            .get(60, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(InferenceException.class, e -> {
                        assertThat(e.badInput()).isTrue();
                        assertThat(e.getMessage()).contains(type.name());
                    });
        }
    }

    @Test
    void byteCountThatDisagreesWithTheShapeIsBadInput() throws Exception {
        try (Lease lease = identity(DataType.FP32)) {
            ByteBuffer raw = ByteBuffer.allocate(23);
            assertThatThrownBy(() -> lease.run(
                                    List.of(TensorData.ofRaw("input", DataType.FP32, new long[] {2, 3}, raw)), Set.of())
                            .get(60, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(InferenceException.class, e -> {
                        assertThat(e.badInput()).isTrue();
                        assertThat(e.getMessage()).contains("23 bytes", "expected 24");
                    });
        }
    }
}
