package dev.modelmux.repo.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignatureCheckTest {
    private static final List<TensorSpec> MLP_IN = List.of(spec("input", DataType.FP32, -1, 16));
    private static final List<TensorSpec> MLP_OUT = List.of(spec("output", DataType.FP32, -1, 4));

    @Test
    void batchedConfigMatchesAVariableFirstDim() throws Exception {
        ModelConfig c = config("max_batch_size: 8 input { name: \"input\" data_type: TYPE_FP32 dims: [16] }"
                + " output { name: \"output\" data_type: TYPE_FP32 dims: [4] }");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT)).isEmpty();
    }

    @Test
    void configMayFixAVariableDim() throws Exception {
        ModelConfig c = config("input { name: \"input\" data_type: TYPE_FP32 dims: [2, 16] }"
                + " output { name: \"output\" data_type: TYPE_FP32 dims: [2, 4] }");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT)).isEmpty();
    }

    @Test
    void configMayListASubsetOfOutputs() throws Exception {
        ModelConfig c = config("input { name: \"input\" data_type: TYPE_FP32 dims: [-1, 16] }");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT)).isEmpty();
    }

    @Test
    void variableConfigDimAgainstFixedModelDimIsAMismatchForInputs() throws Exception {
        ModelConfig c = config("input { name: \"input\" data_type: TYPE_FP32 dims: [-1, -1] }");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT))
                .containsExactly(
                        "input 'input': dim 1 is -1 in the config but 16 in the model (-1 only where the model declares the dim variable)");
    }

    @Test
    void variableConfigDimAgainstFixedModelDimIsCompatibleForOutputs() throws Exception {
        ModelConfig c = config("input { name: \"input\" data_type: TYPE_FP32 dims: [-1, 16] }"
                + " output { name: \"output\" data_type: TYPE_FP32 dims: [-1, -1] }");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT)).isEmpty();
    }

    @Test
    void differentFixedDimsTypesAndRanksAreMismatches() throws Exception {
        ModelConfig c = config("input { name: \"input\" data_type: TYPE_INT64 dims: [-1, 8] }"
                + " output { name: \"output\" data_type: TYPE_FP32 dims: [4] }");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT))
                .containsExactly(
                        "input 'input': the config says TYPE_INT64, the model has FP32",
                        "input 'input': dim 1 is 8 in the config but 16 in the model",
                        "output 'output': the config has 1 dims [4], the model has 2 [-1, 4]");
    }

    @Test
    void batchingNeedsAVariableFirstDim() throws Exception {
        ModelConfig c = config("max_batch_size: 4 input { name: \"x\" data_type: TYPE_FP32 dims: [3] }");
        assertThat(ModelConfigs.signatureMismatches(c, List.of(spec("x", DataType.FP32, 1, 3)), List.of()))
                .containsExactly(
                        "input 'x': max_batch_size > 0 needs a variable first dim, but the model fixes it to 1;"
                                + " set max_batch_size: 0 and give the full dims");
    }

    @Test
    void batchedRankCountsTheBatchDim() throws Exception {
        ModelConfig c = config("max_batch_size: 4 input { name: \"input\" data_type: TYPE_FP32 dims: [-1, 16] }");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT))
                .containsExactly(
                        "input 'input': the config has 3 dims [-1, -1, 16] (batch dim included), the model has 2 [-1, 16]");
    }

    @Test
    void missingAndExtraTensorsAreMismatches() throws Exception {
        ModelConfig c = config("input { name: \"ids\" data_type: TYPE_INT64 dims: [-1] }"
                + " output { name: \"emb\" data_type: TYPE_FP32 dims: [-1] }");
        List<TensorSpec> in = List.of(spec("input_ids", DataType.INT64, -1), spec("mask", DataType.INT64, -1));
        assertThat(ModelConfigs.signatureMismatches(c, in, MLP_OUT))
                .containsExactly(
                        "input 'ids' is in the config but not in the model (model inputs: input_ids, mask)",
                        "model input 'input_ids' INT64[-1] is missing from the config",
                        "model input 'mask' INT64[-1] is missing from the config",
                        "output 'emb' is in the config but not in the model (model outputs: output)");
    }

    @Test
    void optionalConfigInputsStillHaveToExistInTheModel() throws Exception {
        ModelConfig c = config("input [{ name: \"input\" data_type: TYPE_FP32 dims: [-1, 16] },"
                + " { name: \"extra\" data_type: TYPE_FP32 dims: [1] optional: true }]");
        assertThat(ModelConfigs.signatureMismatches(c, MLP_IN, MLP_OUT))
                .containsExactly("input 'extra' is in the config but not in the model (model inputs: input)");
    }

    private static ModelConfig config(String text) throws Exception {
        return ModelConfigs.parse("m", "config.pbtxt", text);
    }

    private static TensorSpec spec(String name, DataType type, long... dims) {
        return new TensorSpec(name, type, dims);
    }
}
