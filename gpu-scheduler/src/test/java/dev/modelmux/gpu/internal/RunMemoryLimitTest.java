package dev.modelmux.gpu.internal;

import static dev.modelmux.gpu.internal.TestModels.cpu;
import static dev.modelmux.gpu.internal.TestModels.exactPool;
import static dev.modelmux.gpu.internal.TestModels.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.PoolConfig;
import dev.modelmux.gpu.RunMemoryExceededException;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.gpu.internal.TestModels.Events;
import dev.modelmux.gpu.internal.TestModels.FakeClock;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.ValueShapedModels;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.ModelProto;
import dev.modelmux.repo.onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A model whose output size follows the request's values (a "bomb") cannot take the node down: a run
 * that would allocate tens of GB is refused before ONNX Runtime runs it, with a typed failure, while
 * the process's resident set stays put and another model on the same pool keeps answering.
 */
class RunMemoryLimitTest {
    private static final long MIB = 1L << 20;
    private final FakeClock clock = new FakeClock();
    private final Events events = new Events();

    static Stream<Arguments> bombs() {
        return Stream.of(
                Arguments.of("ConstantOfShape", ValueShapedModels.constantOfShape()),
                Arguments.of("Expand", ValueShapedModels.expand()),
                Arguments.of("Tile", ValueShapedModels.tile()));
    }

    private static TensorData shape(long rows, long cols) {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(rows).putLong(cols).flip();
        return TensorData.ofRaw("shape", DataType.INT64, new long[] {2}, b);
    }

    private static InferenceResult run(Lease lease, TensorData in) throws Exception {
        return lease.run(List.of(in), Set.of()).get(60, TimeUnit.SECONDS);
    }

    private static Throwable failure(Lease lease, TensorData in) throws Exception {
        try {
            run(lease, in);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the run succeeded; it should have been refused");
    }

    private static PoolConfig pool(long capacity, long runLimit) {
        return new PoolConfig(List.of(cpu("cpu0", capacity, 2)), PoolConfig.DEFAULT_FOOTPRINT_FACTOR, 2, 0, runLimit);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bombs")
    void aHugeShapeIsRefusedWithATypedFailureAndAnotherModelKeepsAnswering(String op, byte[] bomb) throws Exception {
        byte[] mlp = OnnxModelBuilder.mlp().build();
        try (DevicePool pool = exactPool(pool(512 * MIB, 0), clock, events);
                Lease bombLease = pool.acquire(new ModelKey("bomb", 1), spec("bomb", bomb))
                        .get(60, TimeUnit.SECONDS);
                Lease mlpLease =
                        pool.acquire(new ModelKey("mlp", 1), spec("mlp", mlp)).get(60, TimeUnit.SECONDS)) {
            long rssBefore = RssFootprintMeter.residentBytes();
            Throwable refused = failure(bombLease, shape(72000, 72000));
            long rssAfter = RssFootprintMeter.residentBytes();
            System.out.printf(
                    "%s bomb [72000, 72000]: VmRSS %d MiB before, %d MiB after%n", op, rssBefore / MIB, rssAfter / MIB);

            assertThat(refused).isInstanceOf(RunMemoryExceededException.class);
            RunMemoryExceededException e = (RunMemoryExceededException) refused;
            assertThat(e.getMessage())
                    .isEqualTo("model 'bomb' version 1: the run needed more memory than the device's run limit of"
                            + " 512 MiB allows (node 'grow' (" + op + ") would allocate 19776 MiB for this"
                            + " request's values)");
            assertThat(e.neededBytes()).isEqualTo(72000L * 72000L * 4);
            assertThat(e.limitBytes()).isEqualTo(512 * MIB);
            assertThat(e.badInput()).isTrue();
            assertThat(rssAfter - rssBefore).as("resident set growth").isLessThan(256 * MIB);

            ByteBuffer row = ByteBuffer.allocate(16 * 4).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(run(mlpLease, TensorData.ofRaw("input", DataType.FP32, new long[] {1, 16}, row))
                            .outputs())
                    .singleElement()
                    .satisfies(t -> assertThat(t.shape()).containsExactly(1, 4));
            TensorData small = run(bombLease, shape(2, 3)).outputs().get(0);
            assertThat(small.shape()).containsExactly(2, 3);
            assertThat(small.raw().order(ByteOrder.LITTLE_ENDIAN).getFloat(20)).isEqualTo(1f);
        }
    }

    @Test
    void theConfiguredRunLimitIsTheBoundBelowTheDevicesCapacity() throws Exception {
        try (DevicePool pool = exactPool(pool(512 * MIB, MIB), clock, events);
                Lease lease = pool.acquire(new ModelKey("bomb", 1), spec("bomb", ValueShapedModels.constantOfShape()))
                        .get(60, TimeUnit.SECONDS)) {
            assertThat(failure(lease, shape(1000, 1000)))
                    .isInstanceOf(RunMemoryExceededException.class)
                    .hasMessageContaining("run limit of 1 MiB allows")
                    .hasMessageContaining("would allocate 4 MiB");
            assertThat(run(lease, shape(500, 500)).outputs().get(0).shape()).containsExactly(500, 500);
        }
        assertThat(pool(512 * MIB, 0).runLimitBytes(cpu("cpu0", 512 * MIB, 1))).isEqualTo(512 * MIB);
        assertThat(pool(512 * MIB, 4096 * MIB).runLimitBytes(cpu("cpu0", 512 * MIB, 1)))
                .isEqualTo(512 * MIB);
        assertThatThrownBy(() -> pool(512 * MIB, -1)).hasMessageContaining("run memory limit");
    }

    @Test
    void aGraphWhoseConstantsSizeAnOutputPastTheLimitIsRefusedAtLoad() throws Exception {
        ModelProto bomb = ModelProto.parseFrom(ValueShapedModels.constantOfShape());
        GraphProto fixed = bomb.getGraph().toBuilder()
                .clearInput()
                .addInitializer(TensorProto.newBuilder()
                        .setName("shape")
                        .setDataType(TensorProto.DataType.INT64_VALUE)
                        .addDims(2)
                        .addInt64Data(72000)
                        .addInt64Data(72000))
                .build();
        byte[] bytes = bomb.toBuilder().setGraph(fixed).build().toByteArray();
        try (DevicePool pool = exactPool(pool(512 * MIB, 0), clock, events)) {
            ModelLoadException e = TestModels.loadFailure(pool.acquire(new ModelKey("fixed", 1), spec("fixed", bytes)));
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.ARTIFACT);
            assertThat(e.getMessage())
                    .isEqualTo("model 'fixed' version 1: node 'grow' (ConstantOfShape) allocates 19776 MiB on every"
                            + " run, more than the run limit of 512 MiB on device cpu0");
            assertThat(pool.snapshot().get(0).usedBytes()).isZero();
        }
    }
}
