package dev.modelmux.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.TextFormat;
import dev.modelmux.repo.config.DataType;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInstanceGroup;
import dev.modelmux.repo.config.ModelOptimizationPolicy;
import dev.modelmux.repo.config.ModelParameter;
import dev.modelmux.repo.config.ModelQueuePolicy;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelConfigsTest {

    @Test
    void realTritonOnnxConfigParsesUnchanged() throws Exception {
        String text = resource("configs/triton_onnx.pbtxt");

        ModelConfig c = ModelConfigs.parse("densenet_onnx", "config.pbtxt", text);

        assertThat(c.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(c.getBackend()).isEqualTo("onnxruntime");
        assertThat(c.getMaxBatchSize()).isEqualTo(64);
        assertThat(c.getVersionPolicy().getLatest().getNumVersions()).isEqualTo(2);
        assertThat(c.getInput(0).getDimsList()).containsExactly(3L, 224L, 224L);
        assertThat(c.getOutput(0).getLabelFilename()).isEqualTo("densenet_labels.txt");
        assertThat(c.getInstanceGroupList())
                .extracting(ModelInstanceGroup::getKind)
                .containsExactly(ModelInstanceGroup.Kind.KIND_GPU, ModelInstanceGroup.Kind.KIND_CPU);
        assertThat(c.getInstanceGroup(0).getRateLimiter().getResources(0).getCount())
                .isEqualTo(4);
        assertThat(c.getDynamicBatching().getPreferredBatchSizeList()).containsExactly(4, 8);
        assertThat(c.getDynamicBatching().getDefaultQueuePolicy().getTimeoutAction())
                .isEqualTo(ModelQueuePolicy.TimeoutAction.DELAY);
        assertThat(c.getDynamicBatching().getPriorityQueuePolicyMap().get(2L).getMaxQueueSize())
                .isEqualTo(8);
        ModelOptimizationPolicy o = c.getOptimization();
        assertThat(o.getGraph().getLevel()).isEqualTo(1);
        assertThat(o.getPriority()).isEqualTo(ModelOptimizationPolicy.ModelPriority.PRIORITY_MAX);
        assertThat(o.getExecutionAccelerators().getGpuExecutionAccelerator(0).getParametersMap())
                .containsEntry("precision_mode", "FP16");
        assertThat(o.getInputPinnedMemory().getEnable()).isFalse();
        assertThat(o.getGatherKernelBufferThreshold()).isEqualTo(4);
        assertThat(o.getEagerBatching()).isTrue();
        assertThat(o.getCuda().getGraphs()).isTrue();
        assertThat(c.getModelWarmupList()).hasSize(2);
        assertThat(c.getModelWarmup(0).getInputsMap().get("data_0").getZeroData())
                .isTrue();
        assertThat(c.getResponseCache().getEnable()).isTrue();
        assertThat(c.getMetricTagsMap()).containsEntry("team", "vision");
        assertThat(c.getCcModelFilenamesMap()).containsEntry("8.0", "model_a100.onnx");
        assertThat(ModelConfigs.memoryBytes(c)).hasValue(100L << 20);
        assertThat(ModelConfigs.pinned(c)).isTrue();
        assertThat(ModelConfigs.instanceCount(c)).isEqualTo(3);
        // What we print, Triton (and we) read back the same.
        assertThat(ModelConfigs.parse(
                        "densenet_onnx", "config.pbtxt", TextFormat.printer().printToString(c)))
                .isEqualTo(c);
    }

    @Test
    void minimalConfigParses() throws Exception {
        ModelConfig c = ModelConfigs.parse("m", "config.pbtxt", "");
        assertThat(c).isEqualTo(ModelConfig.getDefaultInstance());
        assertThat(ModelConfigs.instanceCount(c)).isEqualTo(1);
        assertThat(ModelConfigs.memoryBytes(c)).isEmpty();
        assertThat(ModelConfigs.pinned(c)).isFalse();
        assertThat(ModelConfigs.hedging(c))
                .as("hedging is on unless a model opts out")
                .isTrue();
    }

    @Test
    void aModelOptsOutOfHedging() throws Exception {
        ModelConfig c = ModelConfigs.parse(
                "m", "config.pbtxt", "parameters { key: \"hedging\" value { string_value: \"FALSE\" } }");
        assertThat(ModelConfigs.hedging(c)).isFalse();
    }

    @Test
    void batchingIsAutoUnlessForced() throws Exception {
        assertThat(ModelConfigs.batching(ModelConfigs.parse("m", "config.pbtxt", "")))
                .isEqualTo("auto");
        ModelConfig c = ModelConfigs.parse(
                "m",
                "config.pbtxt",
                "max_batch_size: 8 dynamic_batching { } parameters { key: \"batching\" value { string_value: \"Never\" } }");
        assertThat(ModelConfigs.batching(c)).isEqualTo("never");
    }

    @Test
    void syntaxErrorNamesModelFileAndLine() {
        String text = "name: \"m\"\nmax_batch_size: 8\ninput [\n  { name: \"x\" dimz: [1] }\n]\n";
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", text))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageStartingWith("model 'm': config.pbtxt line 4: ")
                .hasMessageContaining("dimz");
    }

    @Test
    void badValuesAndRepeatsAreSyntaxErrors() {
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", "max_batch_size: \"eight\""))
                .hasMessageStartingWith("model 'm': config.pbtxt line 1: ");
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", "max_batch_size: 8\nmax_batch_size: 9"))
                .hasMessageStartingWith("model 'm': config.pbtxt line 2: ");
        assertThatThrownBy(() -> ModelConfigs.parse(
                        "m", "config.pbtxt", "max_batch_size: 8\ndynamic_batching {}\nsequence_batching {}"))
                .hasMessageStartingWith("model 'm': config.pbtxt line 3: ");
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", "input { data_type: TYPE_FLOAT32 }"))
                .hasMessageContaining("TYPE_FLOAT32");
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", "input {"))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageStartingWith("model 'm': config.pbtxt line 1: ");
    }

    @Test
    void validationErrorsNameTheLineOfTheOffendingField() {
        String text = String.join(
                "\n",
                "name: \"m\"",
                "max_batch_size: 8",
                "input [",
                "  {",
                "    name: \"x\"",
                "    data_type: TYPE_FP32",
                "    dims: [ 4, -2 ]",
                "  }",
                "]",
                "parameters { key: \"pinned\" value: { string_value: \"yes\" } }");
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", text))
                .isInstanceOf(ModelConfigException.class)
                .hasMessage("model 'm': config.pbtxt line 7: input 'x' dim 1 is -2: each dim must be a positive size"
                        + " or -1 (variable); line 10: parameter pinned must be \"true\" or \"false\", was 'yes'");
    }

    @Test
    void validationErrorsOfDefaultsCarryNoLine() {
        assertThatThrownBy(() -> ModelConfigs.parse("m", "config.pbtxt", "input { name: \"x\" dims: [1] }"))
                .hasMessage("model 'm': config.pbtxt line 1: input 'x' has no data_type (TYPE_INVALID)");
        ModelConfig built = ModelConfig.newBuilder().setMaxBatchSize(-1).build();
        assertThatThrownBy(() -> ModelConfigs.validate("m", built))
                .hasMessage("model 'm': config: max_batch_size must be >= 0, was -1");
    }

    @Test
    void deriveTakesTheGraphsSignature() throws Exception {
        OnnxModelInfo info = OnnxInspector.inspect("mlp", OnnxModelBuilder.mlp().build(), ScanLimits.defaults());

        ModelConfig c = ModelConfigs.derive("mlp", info);

        assertThat(c.getName()).isEqualTo("mlp");
        assertThat(c.getPlatform()).isEqualTo("onnxruntime_onnx");
        assertThat(c.getMaxBatchSize()).isZero();
        assertThat(c.getInput(0).getName()).isEqualTo("input");
        assertThat(c.getInput(0).getDataType()).isEqualTo(DataType.TYPE_FP32);
        assertThat(c.getInput(0).getDimsList()).containsExactly(-1L, 16L);
        assertThat(c.getOutput(0).getDimsList()).containsExactly(-1L, 4L);
        assertThat(c.getVersionPolicy().getLatest().getNumVersions()).isEqualTo(1);
        assertThat(ModelConfigs.instanceCount(c)).isEqualTo(1);
        assertThat(ModelConfigs.signatureMismatches(c, info.inputs(), info.outputs()))
                .isEmpty();
        ModelConfigs.validate("mlp", c);
    }

    @Test
    void autoCompleteFillsAnEmptySignatureWithoutTheBatchDim() throws Exception {
        OnnxModelInfo info = OnnxInspector.inspect("mlp", OnnxModelBuilder.mlp().build(), ScanLimits.defaults());
        ModelConfig partial =
                ModelConfigs.parse("mlp", "config.pbtxt", "max_batch_size: 16\ninstance_group { count: 2 }");

        ModelConfig c = ModelConfigs.autoComplete(partial, info);

        assertThat(c.getInput(0).getDimsList()).containsExactly(16L);
        assertThat(c.getOutput(0).getDimsList()).containsExactly(4L);
        assertThat(c.getMaxBatchSize()).isEqualTo(16);
        assertThat(ModelConfigs.signatureMismatches(c, info.inputs(), info.outputs()))
                .isEmpty();
        ModelConfig declared = ModelConfigs.parse(
                "mlp", "config.pbtxt", "input { name: \"input\" data_type: TYPE_FP32 dims: [-1, 16] }");
        assertThat(ModelConfigs.autoComplete(declared, info)).isSameAs(declared);
    }

    @Test
    void instanceCountSumsGroupsCountingZeroAsOne() throws Exception {
        ModelConfig c = ModelConfigs.parse(
                "m",
                "config.pbtxt",
                "instance_group [ { count: 3 }, { count: 0 kind: KIND_CPU }, { kind: KIND_GPU } ]");
        assertThat(ModelConfigs.instanceCount(c)).isEqualTo(5);
    }

    @Test
    void parametersAreReadAsTyped() throws Exception {
        ModelConfig c = ModelConfigs.parse(
                "m",
                "config.pbtxt",
                String.join(
                        "\n",
                        "parameters { key: \"memory_bytes\" value: { string_value: \"9000000000\" } }",
                        "parameters { key: \"pinned\" value: { string_value: \"FALSE\" } }"));
        assertThat(ModelConfigs.memoryBytes(c)).hasValue(9_000_000_000L);
        assertThat(ModelConfigs.pinned(c)).isFalse();
        ModelConfig unchecked = ModelConfig.newBuilder()
                .putParameters(
                        "memory_bytes",
                        ModelParameter.newBuilder().setStringValue("-5").build())
                .build();
        assertThatThrownBy(() -> ModelConfigs.memoryBytes(unchecked)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void predictedBytesIsMemoryBytesOrArtifactTimesFactorTimesInstances() throws Exception {
        assertThat(ModelConfigs.predictedBytes(java.util.Optional.empty(), 1000, 1.5))
                .isEqualTo(1500);
        ModelConfig three = ModelConfigs.parse("m", "config.pbtxt", "instance_group [ { count: 3 } ]");
        assertThat(ModelConfigs.predictedBytes(java.util.Optional.of(three), 1001, 1.5))
                .isEqualTo(3 * 1502);
        ModelConfig configured = ModelConfigs.parse(
                "m",
                "config.pbtxt",
                String.join(
                        "\n",
                        "instance_group [ { count: 2 } ]",
                        "parameters { key: \"memory_bytes\" value: { string_value: \"7000\" } }"));
        assertThat(ModelConfigs.predictedBytes(java.util.Optional.of(configured), 1000, 1.5))
                .isEqualTo(14_000);
        ModelConfig huge = ModelConfigs.parse(
                "m",
                "config.pbtxt",
                String.join(
                        "\n",
                        "instance_group [ { count: 128 } ]",
                        "parameters { key: \"memory_bytes\" value: { string_value: \"9000000000000000000\" } }"));
        assertThat(ModelConfigs.predictedBytes(java.util.Optional.of(huge), 1, 1.5))
                .isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void wholeNumberParametersAreReadOrRefusedNamingTheKey() throws Exception {
        ModelConfig c = ModelConfigs.parse(
                "m", "config.pbtxt", "parameters { key: \"min_copies\" value: { string_value: \" 2 \" } }");
        assertThat(ModelConfigs.wholeNumberParameter(c, "min_copies")).isEqualTo(2);
        assertThat(ModelConfigs.wholeNumberParameter(c, "max_copies")).isZero();
        ModelConfig unchecked = ModelConfig.newBuilder()
                .putParameters(
                        "max_copies",
                        ModelParameter.newBuilder().setStringValue("many").build())
                .build();
        assertThatThrownBy(() -> ModelConfigs.wholeNumberParameter(unchecked, "max_copies"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max_copies");
    }

    @Test
    void fullDimsPrependsTheBatchDim() {
        ModelConfig batched = ModelConfig.newBuilder().setMaxBatchSize(4).build();
        assertThat(ModelConfigs.fullDims(batched, List.of(3L, 5L))).containsExactly(-1, 3, 5);
        assertThat(ModelConfigs.fullDims(ModelConfig.getDefaultInstance(), List.of(3L)))
                .containsExactly(3);
    }

    @Test
    void parametersMapKeepsUnknownKeys() throws Exception {
        ModelConfig c = ModelConfigs.parse(
                "m", "config.pbtxt", "parameters { key: \"intra_op_thread_count\" value: { string_value: \"2\" } }");
        assertThat(c.getParametersMap()).containsOnlyKeys("intra_op_thread_count");
        assertThat(Map.copyOf(c.getParametersMap()).get("intra_op_thread_count").getStringValue())
                .isEqualTo("2");
    }

    private static String resource(String name) throws Exception {
        try (InputStream in = ModelConfigsTest.class.getClassLoader().getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
