package dev.modelmux.repo.internal;

import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares a config's inputs and outputs (full dims, batch dim included) with the tensors a
 * runtime reports. Inputs: every model input must be in the config and every config input in
 * the model, same type and rank; a config dim must equal a fixed model dim (-1 only where the
 * model's dim is variable) and may fix a variable one. Outputs: each config output must exist
 * with the same type and rank, and dims that do not contradict each other. With max_batch_size
 * > 0 the model's first dim must be variable.
 */
public final class SignatureCheck {
    private final ModelConfig config;
    private final List<String> mismatches = new ArrayList<>();

    private SignatureCheck(ModelConfig config) {
        this.config = config;
    }

    public static List<String> mismatches(ModelConfig config, List<TensorSpec> inputs, List<TensorSpec> outputs) {
        SignatureCheck s = new SignatureCheck(config);
        Map<String, TensorSpec> modelInputs = byName(inputs);
        for (ModelInput in : config.getInputList()) {
            TensorSpec m = modelInputs.remove(in.getName());
            String label = "input '" + ModelNames.printable(in.getName()) + "'";
            if (m == null) {
                s.mismatches.add(
                        label + " is in the config but not in the model (model inputs: " + names(inputs) + ")");
            } else {
                s.compare(label, in.getDataType(), ModelConfigs.fullDims(config, in.getDimsList()), m, true);
            }
        }
        for (TensorSpec m : modelInputs.values()) {
            s.mismatches.add("model input '" + ModelNames.printable(m.name()) + "' " + m.type()
                    + Arrays.toString(m.dims()) + " is missing from the config");
        }
        Map<String, TensorSpec> modelOutputs = byName(outputs);
        for (ModelOutput out : config.getOutputList()) {
            TensorSpec m = modelOutputs.get(out.getName());
            String label = "output '" + ModelNames.printable(out.getName()) + "'";
            if (m == null) {
                s.mismatches.add(
                        label + " is in the config but not in the model (model outputs: " + names(outputs) + ")");
            } else {
                s.compare(label, out.getDataType(), ModelConfigs.fullDims(config, out.getDimsList()), m, false);
            }
        }
        return List.copyOf(s.mismatches);
    }

    private void compare(
            String label, dev.modelmux.repo.config.DataType configType, long[] dims, TensorSpec m, boolean strict) {
        DataType type = DataType.fromConfig(configType).orElse(null);
        if (type != m.type()) {
            mismatches.add(label + ": the config says " + configType + ", the model has " + m.type());
        }
        boolean batching = config.getMaxBatchSize() > 0;
        String shown = Arrays.toString(dims) + (batching ? " (batch dim included)" : "");
        if (dims.length != m.rank()) {
            mismatches.add(label + ": the config has " + dims.length + " dims " + shown + ", the model has " + m.rank()
                    + " " + Arrays.toString(m.dims()));
            return;
        }
        for (int i = 0; i < dims.length; i++) {
            long c = dims[i];
            long d = m.dim(i);
            if (batching && i == 0) {
                if (d != -1) {
                    mismatches.add(label + ": max_batch_size > 0 needs a variable first dim, but the model fixes it to "
                            + d + "; set max_batch_size: 0 and give the full dims");
                }
            } else if (d != -1 && c != d && (strict || c != -1)) {
                mismatches.add(label + ": dim " + i + " is " + c + " in the config but " + d + " in the model"
                        + (c == -1 ? " (-1 only where the model declares the dim variable)" : ""));
            }
        }
    }

    private static Map<String, TensorSpec> byName(List<TensorSpec> specs) {
        Map<String, TensorSpec> m = new LinkedHashMap<>();
        specs.forEach(s -> m.put(s.name(), s));
        return m;
    }

    private static String names(List<TensorSpec> specs) {
        return specs.isEmpty()
                ? "none"
                : String.join(
                        ", ",
                        specs.stream().map(s -> ModelNames.printable(s.name())).toList());
    }
}
