package dev.modelmux.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelWarmup;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarmupTest {
    private static final ModelKey KEY = new ModelKey("w", 1);

    @Test
    void withoutSamplesOneZeroRunWithVariableDimsAtOne() {
        List<Warmup.Sample> samples = Warmup.samples(
                KEY,
                ModelConfig.getDefaultInstance(),
                List.of(
                        new TensorSpec("ids", DataType.INT64, new long[] {-1, -1}),
                        new TensorSpec("text", DataType.BYTES, new long[] {-1}),
                        new TensorSpec("x", DataType.FP16, new long[] {2, 3})));
        assertThat(samples).singleElement().satisfies(s -> {
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.inputs())
                    .extracting(TensorData::toString)
                    .containsExactly("ids:INT64[1, 1]", "text:BYTES[1]", "x:FP16[2, 3]");
            TensorData x = s.inputs().get(2);
            assertThat(x.raw().remaining()).isEqualTo(12);
            while (x.raw().hasRemaining()) {
                assertThat(x.raw().get()).isZero();
            }
            assertThat(s.inputs().get(1).strings())
                    .singleElement()
                    .satisfies(b -> assertThat(b).isEmpty());
        });
    }

    @Test
    void configuredSamplesGetTheBatchDimAndCount() {
        ModelConfig config = ModelConfig.newBuilder()
                .setMaxBatchSize(8)
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("r")
                        .setBatchSize(4)
                        .setCount(3)
                        .putInputs("b", input(dev.modelmux.repo.config.DataType.TYPE_INT32, true, 5))
                        .putInputs("a", input(dev.modelmux.repo.config.DataType.TYPE_BOOL, true, 2, 2)))
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("z")
                        .putInputs("a", input(dev.modelmux.repo.config.DataType.TYPE_FP32, false, 7)))
                .build();
        List<Warmup.Sample> samples = Warmup.samples(KEY, config, List.of());
        assertThat(samples).hasSize(2);
        assertThat(samples.get(0).count()).isEqualTo(3);
        assertThat(samples.get(0).inputs())
                .extracting(TensorData::toString)
                .containsExactly("a:BOOL[4, 2, 2]", "b:INT32[4, 5]");
        var bools = samples.get(0).inputs().get(0).raw();
        while (bools.hasRemaining()) {
            assertThat(bools.get()).isBetween((byte) 0, (byte) 1);
        }
        var ints = samples.get(0).inputs().get(1).raw().order(ByteOrder.LITTLE_ENDIAN);
        while (ints.hasRemaining()) {
            assertThat(ints.getInt()).isBetween(0, 9);
        }
        assertThat(samples.get(1).count()).isEqualTo(1);
        assertThat(samples.get(1).inputs()).extracting(TensorData::toString).containsExactly("a:FP32[1, 7]");
        // Deterministic: the same config gives the same random data.
        assertThat(Warmup.samples(KEY, config, List.of()).get(0).inputs().get(1).raw())
                .isEqualTo(samples.get(0).inputs().get(1).raw().rewind());
    }

    @Test
    void refusesFilesVariableDimsAndHugeTensors() {
        ModelConfig file = ModelConfig.newBuilder()
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("f")
                        .putInputs(
                                "a",
                                ModelWarmup.Input.newBuilder()
                                        .setDataType(dev.modelmux.repo.config.DataType.TYPE_FP32)
                                        .addDims(1)
                                        .setInputDataFile("/etc/shadow")
                                        .build()))
                .build();
        assertThatThrownBy(() -> Warmup.samples(KEY, file, List.of()))
                .isInstanceOfSatisfying(ModelLoadException.class, e -> {
                    assertThat(e.kind()).isEqualTo(ModelLoadException.Kind.CONFIG);
                    assertThat(e.getMessage()).contains("input_data_file").doesNotContain("shadow");
                });
        ModelConfig variable = ModelConfig.newBuilder()
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("v")
                        .putInputs("a", input(dev.modelmux.repo.config.DataType.TYPE_FP32, false, -1)))
                .build();
        assertThatThrownBy(() -> Warmup.samples(KEY, variable, List.of())).hasMessageContaining("variable dim");
        ModelConfig huge = ModelConfig.newBuilder()
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("h")
                        .putInputs("a", input(dev.modelmux.repo.config.DataType.TYPE_FP32, false, 1L << 40, 1L << 40)))
                .build();
        assertThatThrownBy(() -> Warmup.samples(KEY, huge, List.of())).hasMessageContaining("exceeds");
    }

    private static ModelWarmup.Input input(dev.modelmux.repo.config.DataType type, boolean random, long... dims) {
        ModelWarmup.Input.Builder in = ModelWarmup.Input.newBuilder().setDataType(type);
        if (random) {
            in.setRandomData(true);
        } else {
            in.setZeroData(true);
        }
        for (long d : dims) {
            in.addDims(d);
        }
        return in.build();
    }
}
