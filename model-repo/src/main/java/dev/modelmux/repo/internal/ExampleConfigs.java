package dev.modelmux.repo.internal;

import com.google.protobuf.TextFormat;
import dev.modelmux.repo.ModelConfigException;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.OnnxModelInfo;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.DataType;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelDynamicBatching;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelInstanceGroup;
import dev.modelmux.repo.config.ModelOutput;
import dev.modelmux.repo.config.ModelParameter;
import dev.modelmux.repo.config.ModelVersionPolicy;
import dev.modelmux.repo.config.ModelWarmup;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The config.pbtxt texts of the example repository, each checked by the parser that will read it. */
public final class ExampleConfigs {
    static final List<String> MINILM_INPUTS = List.of("input_ids", "attention_mask", "token_type_ids");
    private static final long WARMUP_TOKENS = 8;

    private ExampleConfigs() {}

    /** A batching MLP: {@code input} FP32 [inputDim] to {@code output} FP32 [outputDim]. */
    public static String mlp(String name, int inputDim, int outputDim, boolean dynamicBatching, boolean allVersions) {
        ModelConfig.Builder c = base(name, 64)
                .addInput(ModelInput.newBuilder()
                        .setName("input")
                        .setDataType(DataType.TYPE_FP32)
                        .addDims(inputDim))
                .addOutput(ModelOutput.newBuilder()
                        .setName("output")
                        .setDataType(DataType.TYPE_FP32)
                        .addDims(outputDim))
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("zeros")
                        .setBatchSize(1)
                        .putInputs(
                                "input",
                                ModelWarmup.Input.newBuilder()
                                        .setDataType(DataType.TYPE_FP32)
                                        .addDims(inputDim)
                                        .setZeroData(true)
                                        .build()));
        if (dynamicBatching) {
            c.setDynamicBatching(ModelDynamicBatching.newBuilder()
                    .addPreferredBatchSize(8)
                    .addPreferredBatchSize(16)
                    .setMaxQueueDelayMicroseconds(200));
        }
        if (allVersions) {
            c.setVersionPolicy(ModelVersionPolicy.newBuilder().setAll(ModelVersionPolicy.All.getDefaultInstance()));
        }
        return text(name, c.build());
    }

    /**
     * A small scoring model: {@code input} FP32 [inputDim] (raw features) to {@code output} FP32
     * [outputDim] (probabilities), batching, with {@code parameters} (e.g. the dataset and feature
     * schema an endpoint's metadata checks) and every version served.
     */
    public static String scorer(String name, int inputDim, int outputDim, Map<String, String> parameters) {
        ModelConfig.Builder c = base(name, 64)
                .addInput(ModelInput.newBuilder()
                        .setName("input")
                        .setDataType(DataType.TYPE_FP32)
                        .addDims(inputDim))
                .addOutput(ModelOutput.newBuilder()
                        .setName("output")
                        .setDataType(DataType.TYPE_FP32)
                        .addDims(outputDim))
                .setVersionPolicy(ModelVersionPolicy.newBuilder().setAll(ModelVersionPolicy.All.getDefaultInstance()))
                .addModelWarmup(ModelWarmup.newBuilder()
                        .setName("zeros")
                        .setBatchSize(1)
                        .putInputs(
                                "input",
                                ModelWarmup.Input.newBuilder()
                                        .setDataType(DataType.TYPE_FP32)
                                        .addDims(inputDim)
                                        .setZeroData(true)
                                        .build()));
        new TreeMap<>(parameters)
                .forEach((k, v) -> c.putParameters(
                        k, ModelParameter.newBuilder().setStringValue(v).build()));
        return text(name, c.build());
    }

    /**
     * A MiniLM encoder: the three BERT inputs, INT64 [-1] tokens with the batch dim implied, and
     * the graph's outputs as the pre-scan found them, warmed up with 8 zero tokens.
     *
     * @throws IllegalArgumentException if the graph is not the expected encoder
     */
    public static String minilm(String name, OnnxModelInfo info) {
        List<String> names = info.inputs().stream().map(TensorSpec::name).toList();
        if (!names.containsAll(MINILM_INPUTS) || names.size() != MINILM_INPUTS.size()) {
            throw new IllegalArgumentException(
                    name + ": expected inputs " + MINILM_INPUTS + ", the graph has " + names);
        }
        ModelConfig.Builder c = base(name, 32);
        ModelWarmup.Builder warmup = ModelWarmup.newBuilder().setName("zeros").setBatchSize(1);
        for (String input : MINILM_INPUTS) {
            c.addInput(ModelInput.newBuilder()
                    .setName(input)
                    .setDataType(DataType.TYPE_INT64)
                    .addDims(-1));
            warmup.putInputs(
                    input,
                    ModelWarmup.Input.newBuilder()
                            .setDataType(DataType.TYPE_INT64)
                            .addDims(WARMUP_TOKENS)
                            .setZeroData(true)
                            .build());
        }
        for (TensorSpec out : info.outputs()) {
            long[] dims = out.dims();
            if (dims.length == 0 || dims[0] != -1) {
                throw new IllegalArgumentException(name + ": output " + out + " has no variable batch dim");
            }
            ModelOutput.Builder o = ModelOutput.newBuilder()
                    .setName(out.name())
                    .setDataType(out.type().configType());
            Arrays.stream(dims, 1, dims.length).forEach(o::addDims);
            c.addOutput(o);
        }
        c.addModelWarmup(warmup);
        return text(name, c.build());
    }

    private static ModelConfig.Builder base(String name, int maxBatchSize) {
        return ModelConfig.newBuilder()
                .setName(name)
                .setPlatform(ModelConfigs.ONNX_PLATFORM)
                .setMaxBatchSize(maxBatchSize)
                .addInstanceGroup(ModelInstanceGroup.newBuilder().setCount(1));
    }

    private static String text(String name, ModelConfig config) {
        String text = "# Written by modelmux's example repository generator; rebuilt when the generator changes.\n"
                + TextFormat.printer().printToString(config);
        try {
            ModelConfigs.parse(name, "config.pbtxt", text);
        } catch (ModelConfigException e) {
            throw new IllegalStateException("the example generator wrote an invalid config: " + e.getMessage(), e);
        }
        return text;
    }
}
