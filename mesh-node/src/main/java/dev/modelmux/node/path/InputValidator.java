package dev.modelmux.node.path;

import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.tensors.Shapes;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelOutput;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks a decoded request against the signature of the model version that will run it: known
 * input and output names, every required input present, datatypes, ranks, fixed dims, and a
 * batch dim within {@code max_batch_size} that agrees across inputs.
 */
public final class InputValidator {
    private InputValidator() {}

    /** Returns the output names to produce, in order. */
    public static Set<String> validate(LoadedModel model, InferRequest req) {
        ModelConfig config = model.config();
        String m = model.key().toString();
        inputs(config, m, req);
        symbolicDims(model, req, m);
        List<String> known = config.getOutputCount() > 0
                ? config.getOutputList().stream().map(ModelOutput::getName).toList()
                : model.outputs().stream().map(TensorSpec::name).toList();
        return outputs(known, m, req);
    }

    /**
     * Checks a request against a version's configuration before the version is loaded (names,
     * datatypes, shapes, batch size, requested outputs), so that a request that cannot run never
     * loads a model or evicts another; the full check runs again on the loaded version.
     *
     * @param m the model version as messages name it ({@code name:version})
     */
    public static void validate(ModelConfig config, String m, InferRequest req) {
        inputs(config, m, req);
        if (config.getOutputCount() > 0) {
            outputs(config.getOutputList().stream().map(ModelOutput::getName).toList(), m, req);
        }
    }

    private static void inputs(ModelConfig config, String m, InferRequest req) {
        Map<String, ModelInput> declared = new HashMap<>();
        for (ModelInput in : config.getInputList()) {
            declared.put(in.getName(), in);
        }
        long batch = -1;
        for (TensorData t : req.inputs()) {
            ModelInput in = declared.get(t.name());
            if (in == null) {
                throw ServingException.invalid(
                        "model '" + m + "' has no input '" + ModelNames.printable(t.name()) + "'; its inputs are "
                                + names(config.getInputList().stream()
                                        .map(ModelInput::getName)
                                        .toList()));
            }
            DataType want = DataType.fromConfig(in.getDataType()).orElseThrow();
            if (t.type() != want) {
                throw ServingException.invalid(
                        "input '" + t.name() + "' of model '" + m + "' is " + want + ", not " + t.type());
            }
            long[] dims = ModelConfigs.fullDims(config, in.getDimsList());
            long[] shape = t.shape();
            if (shape.length != dims.length) {
                throw ServingException.invalid("input '" + t.name() + "' of model '" + m + "' has rank " + dims.length
                        + " " + Shapes.str(dims) + ", got shape " + Shapes.str(shape));
            }
            for (int i = 0; i < dims.length; i++) {
                if (dims[i] >= 0 && dims[i] != shape[i]) {
                    throw ServingException.invalid("input '" + t.name() + "' of model '" + m + "' must have shape "
                            + Shapes.str(dims) + " (-1 = any), got " + Shapes.str(shape));
                }
            }
            if (config.getMaxBatchSize() > 0) {
                long b = shape[0];
                if (b < 1 || b > config.getMaxBatchSize()) {
                    throw ServingException.invalid("input '" + t.name() + "': batch size " + b + " is outside [1, "
                            + config.getMaxBatchSize() + "] for model '" + m + "'");
                }
                if (batch >= 0 && b != batch) {
                    throw ServingException.invalid(
                            "inputs of one request must share the batch size; got " + batch + " and " + b);
                }
                batch = b;
            }
        }
        for (ModelInput in : config.getInputList()) {
            if (!in.getOptional()
                    && req.inputs().stream().noneMatch(t -> t.name().equals(in.getName()))) {
                throw ServingException.invalid("model '" + m + "' requires input '" + in.getName() + "'");
            }
        }
    }

    private static Set<String> outputs(List<String> known, String m, InferRequest req) {
        if (req.outputs().isEmpty()) {
            return new LinkedHashSet<>(known);
        }
        Set<String> out = new LinkedHashSet<>();
        for (String o : req.outputs()) {
            if (!known.contains(o)) {
                throw ServingException.invalid("model '" + m + "' has no output '" + ModelNames.printable(o)
                        + "'; its outputs are " + names(known));
            }
            out.add(o);
        }
        return out;
    }

    /**
     * Inputs whose graph names a dimension the same ({@code dim_param}, e.g. MiniLM's "sequence") must
     * agree on its size: checked here, so that the runtime never sees them disagree.
     */
    private static void symbolicDims(LoadedModel model, InferRequest req, String m) {
        Map<String, List<String>> names = model.inputDimNames();
        if (names.isEmpty()) {
            return;
        }
        Map<String, String> firstInput = new HashMap<>();
        Map<String, Long> firstSize = new HashMap<>();
        for (TensorData t : req.inputs()) {
            List<String> dims = names.get(t.name());
            if (dims == null) {
                continue;
            }
            long[] shape = t.shape();
            for (int i = 0; i < Math.min(dims.size(), shape.length); i++) {
                String symbol = dims.get(i);
                if (symbol.isEmpty()) {
                    continue;
                }
                Long size = firstSize.putIfAbsent(symbol, shape[i]);
                if (size == null) {
                    firstInput.put(symbol, t.name());
                } else if (size != shape[i]) {
                    throw ServingException.invalid("inputs '" + firstInput.get(symbol) + "' and '" + t.name()
                            + "' of model '" + m + "' must agree on dimension '" + ModelNames.printable(symbol)
                            + "': " + size + " vs " + shape[i]);
                }
            }
        }
    }

    private static String names(List<String> names) {
        return names.stream().collect(Collectors.joining(", ", "[", "]"));
    }
}
