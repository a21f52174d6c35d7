package dev.modelmux.gpu.internal;

import static dev.modelmux.gpu.internal.TestModels.config;
import static dev.modelmux.gpu.internal.TestModels.cpu;
import static dev.modelmux.gpu.internal.TestModels.exactPool;
import static dev.modelmux.gpu.internal.TestModels.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.gpu.DevicePool;
import dev.modelmux.gpu.DeviceSnapshot;
import dev.modelmux.gpu.Lease;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.PoolConfig;
import dev.modelmux.gpu.PoolEvent;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.gpu.internal.TestModels.Events;
import dev.modelmux.gpu.internal.TestModels.FakeClock;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.OnnxInspector;
import dev.modelmux.repo.OnnxModelBuilder;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.config.DataType;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelInstanceGroup;
import dev.modelmux.repo.config.ModelOutput;
import dev.modelmux.repo.config.ModelParameter;
import dev.modelmux.repo.config.ModelWarmup;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gate with explicit configs: signature, warm-up, instance groups, memory_bytes. */
class LoadGateTest {
    private static final long MIB = 1L << 20;
    private final FakeClock clock = new FakeClock();
    private final Events events = new Events();
    private final byte[] mlp =
            OnnxModelBuilder.mlp().inputDim(16).outputDim(4).width(32).depth(1).build();

    /** The config that matches the MLP: batching up to 8, input [16], output [4]. */
    private static ModelConfig.Builder matching() {
        return ModelConfig.newBuilder()
                .setName("m")
                .setPlatform("onnxruntime_onnx")
                .setMaxBatchSize(8)
                .addInput(ModelInput.newBuilder()
                        .setName("input")
                        .setDataType(DataType.TYPE_FP32)
                        .addDims(16))
                .addOutput(ModelOutput.newBuilder()
                        .setName("output")
                        .setDataType(DataType.TYPE_FP32)
                        .addDims(4));
    }

    private static ModelWarmup.Input warmupInput(long... dims) {
        ModelWarmup.Input.Builder in =
                ModelWarmup.Input.newBuilder().setDataType(DataType.TYPE_FP32).setRandomData(true);
        for (long d : dims) {
            in.addDims(d);
        }
        return in.build();
    }

    private Lease load(DevicePool pool, ModelConfig config) throws Exception {
        return pool.acquire(new ModelKey("m", 1), spec("m", mlp, Optional.of(config), false))
                .get(60, TimeUnit.SECONDS);
    }

    private ModelLoadException failure(DevicePool pool, ModelConfig config) throws Exception {
        return TestModels.loadFailure(pool.acquire(new ModelKey("m", 1), spec("m", mlp, Optional.of(config), false)));
    }

    private static void assertLedgerEmpty(DevicePool pool) {
        DeviceSnapshot d = pool.snapshot().get(0);
        assertThat(d.usedBytes()).isZero();
        assertThat(d.reservedBytes()).isZero();
        assertThat(d.residents()).isEmpty();
    }

    @Test
    void matchingConfigWithWarmupSamplesLoads() throws Exception {
        ModelConfig config = matching()
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("random")
                        .setBatchSize(4)
                        .setCount(3)
                        .putInputs("input", warmupInput(16)))
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("zeros")
                        .setBatchSize(1)
                        .putInputs(
                                "input",
                                ModelWarmup.Input.newBuilder()
                                        .setDataType(DataType.TYPE_FP32)
                                        .addDims(16)
                                        .setZeroData(true)
                                        .build()))
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events);
                Lease lease = load(pool, config)) {
            assertThat(lease.model().config()).isEqualTo(config);
        }
    }

    @Test
    void signatureMismatchFailsWithSignatureAndReleasesEverything() throws Exception {
        ModelConfig wrongType = matching()
                .setInput(
                        0,
                        ModelInput.newBuilder()
                                .setName("input")
                                .setDataType(DataType.TYPE_INT64)
                                .addDims(16))
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            ModelLoadException e = failure(pool, wrongType);
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.SIGNATURE);
            assertThat(e.getMessage()).startsWith("model 'm' version 1: ").contains("input");
            assertLedgerEmpty(pool);
            assertThat(events.of(PoolEvent.LoadFailed.class))
                    .singleElement()
                    .satisfies(f -> assertThat(f.kind()).isEqualTo(ModelLoadException.Kind.SIGNATURE));
        }
    }

    @Test
    void failedWarmupReleasesItsMemory() throws Exception {
        ModelConfig badWarmup = matching()
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("wrong-width")
                        .setBatchSize(2)
                        .putInputs("input", warmupInput(7)))
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            ModelLoadException e = failure(pool, badWarmup);
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.WARMUP);
            assertThat(e.getMessage()).contains("wrong-width").doesNotContain("onnxruntime_src", ".cc:");
            assertLedgerEmpty(pool);
        }
    }

    @Test
    void warmupFromAFileIsRefused() throws Exception {
        ModelConfig fromFile = matching()
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("file")
                        .setBatchSize(1)
                        .putInputs(
                                "input",
                                ModelWarmup.Input.newBuilder()
                                        .setDataType(DataType.TYPE_FP32)
                                        .addDims(16)
                                        .setInputDataFile("../../etc/passwd")
                                        .build()))
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            ModelLoadException e = failure(pool, fromFile);
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.CONFIG);
            assertThat(e.getMessage()).contains("input_data_file").doesNotContain("passwd");
            assertLedgerEmpty(pool);
        }
    }

    @Test
    void instanceGroupCountCreatesThatManySessionsUsedInTurn() throws Exception {
        ModelConfig two = matching()
                .addInstanceGroup(ModelInstanceGroup.newBuilder()
                        .setKind(ModelInstanceGroup.Kind.KIND_CPU)
                        .setCount(2))
                .build();
        assertThat(ModelConfigs.instanceCount(two)).isEqualTo(2);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 2)), clock, events);
                Lease lease = load(pool, two)) {
            assertThat(((OrtModel) lease.model()).instances()).isEqualTo(2);
            var in = List.of(TensorData.ofRaw(
                    "input", dev.modelmux.repo.DataType.FP32, new long[] {1, 16}, ByteBuffer.allocate(64)));
            var first = lease.run(in, Set.of())
                    .get(60, TimeUnit.SECONDS)
                    .outputs()
                    .get(0)
                    .raw();
            var second = lease.run(in, Set.of())
                    .get(60, TimeUnit.SECONDS)
                    .outputs()
                    .get(0)
                    .raw();
            assertThat(second).isEqualTo(first);
        }
    }

    @Test
    void theLedgerCountsEveryInstance() throws Exception {
        ModelConfig one = matching().build();
        ModelConfig three = matching()
                .addInstanceGroup(ModelInstanceGroup.newBuilder()
                        .setKind(ModelInstanceGroup.Kind.KIND_CPU)
                        .setCount(3))
                .build();
        long weights = OnnxInspector.inspect("m", mlp, ScanLimits.defaults()).initializerBytes();
        long predictedOne =
                ModelConfigs.predictedBytes(Optional.of(one), mlp.length, PoolConfig.DEFAULT_FOOTPRINT_FACTOR);
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 2)), clock, events);
                Lease lease = load(pool, three)) {
            assertThat(((OrtModel) lease.model()).instances()).isEqualTo(3);
            assertThat(lease.model().predictedBytes()).isEqualTo(3 * predictedOne);
            assertThat(lease.model().measuredBytes())
                    .as("three sessions, three copies of the weights")
                    .isEqualTo(3 * weights);
            assertThat(pool.snapshot().get(0).usedBytes()).isEqualTo(3 * weights);
        }
    }

    @Test
    void memoryBytesParameterIsThePrediction() throws Exception {
        ModelConfig sized = matching()
                .putParameters(
                        ModelConfigs.PARAM_MEMORY_BYTES,
                        ModelParameter.newBuilder().setStringValue("3000000").build())
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events);
                Lease lease = load(pool, sized)) {
            assertThat(lease.model().predictedBytes()).isEqualTo(3_000_000L);
        }
        ModelConfig tooBig = matching()
                .putParameters(
                        ModelConfigs.PARAM_MEMORY_BYTES,
                        ModelParameter.newBuilder()
                                .setStringValue(String.valueOf(65 * MIB))
                                .build())
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            ModelLoadException e = failure(pool, tooBig);
            assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.NO_CAPACITY);
            assertThat(e.getMessage()).contains(String.valueOf(65 * MIB), String.valueOf(64 * MIB));
            assertLedgerEmpty(pool);
        }
    }

    @Test
    void pinnedParameterPins() throws Exception {
        ModelConfig pinned = matching()
                .putParameters(
                        ModelConfigs.PARAM_PINNED,
                        ModelParameter.newBuilder().setStringValue("true").build())
                .build();
        try (DevicePool pool = exactPool(config(0, cpu("cpu0", 64 * MIB, 1)), clock, events)) {
            load(pool, pinned).close();
            assertThat(pool.snapshot().get(0).residents())
                    .singleElement()
                    .satisfies(r -> assertThat(r.pinned()).isTrue());
        }
    }
}
