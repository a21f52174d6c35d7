package dev.modelmux.repo;

import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelInstanceGroup;
import dev.modelmux.repo.config.ModelOutput;
import dev.modelmux.repo.config.ModelParameter;
import dev.modelmux.repo.config.ModelVersionPolicy;
import dev.modelmux.repo.internal.ConfigParser;
import dev.modelmux.repo.internal.ConfigValidator;
import dev.modelmux.repo.internal.SignatureCheck;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Parsing, deriving and checking Triton model configs. */
public final class ModelConfigs {
    /** Config parameter: the predicted memory footprint in bytes, overriding artifact size x factor. */
    public static final String PARAM_MEMORY_BYTES = ConfigValidator.PARAM_MEMORY_BYTES;
    /** Config parameter: "true" pins the model (never evicted). */
    public static final String PARAM_PINNED = ConfigValidator.PARAM_PINNED;
    /** The platform of ONNX models, written by {@link #derive}. */
    public static final String ONNX_PLATFORM = ConfigValidator.ONNX_PLATFORM;
    /** Most sessions one model may ask for over all its instance groups. */
    public static final int MAX_INSTANCES = ConfigValidator.MAX_INSTANCES;

    private ModelConfigs() {}

    /**
     * Parses config.pbtxt text with protobuf TextFormat and validates it (name matches the folder,
     * platform/backend is ONNX, dims, data types, version policy, instance groups, batching,
     * parameters, warm-up; features modelmux cannot honour, such as sequence batching, ensembles,
     * custom-op libraries or decoupled models, are refused by name).
     *
     * @throws ModelConfigException naming the model, {@code fileName} and the line, e.g.
     *     {@code model 'm': config.pbtxt line 7: input 'x' dim 0 is -2: ...}; every problem is listed
     */
    public static ModelConfig parse(String model, String fileName, String text) throws ModelConfigException {
        ConfigParser.Parsed parsed = ConfigParser.parse(model, fileName, text);
        ConfigValidator.validate(model, fileName, parsed.config(), parsed.tree());
        return parsed.config();
    }

    /** Validates a config built in code with the rules of {@link #parse} (messages carry no line). */
    public static void validate(String model, ModelConfig config) throws ModelConfigException {
        ConfigValidator.validate(model, "config", config, null);
    }

    /** A config derived from the graph for a model without config.pbtxt (max_batch_size 0, full dims). */
    public static ModelConfig derive(String model, OnnxModelInfo info) {
        ModelConfig.Builder b = ModelConfig.newBuilder()
                .setName(model)
                .setPlatform(ONNX_PLATFORM)
                .setMaxBatchSize(0)
                .setVersionPolicy(ModelVersionPolicy.newBuilder()
                        .setLatest(ModelVersionPolicy.Latest.newBuilder().setNumVersions(1)))
                .addInstanceGroup(
                        ModelInstanceGroup.newBuilder().setCount(1).setKind(ModelInstanceGroup.Kind.KIND_AUTO));
        for (TensorSpec t : info.inputs()) {
            b.addInput(ModelInput.newBuilder()
                    .setName(t.name())
                    .setDataType(t.type().configType())
                    .addAllDims(boxed(t.dims())));
        }
        for (TensorSpec t : info.outputs()) {
            b.addOutput(ModelOutput.newBuilder()
                    .setName(t.name())
                    .setDataType(t.type().configType())
                    .addAllDims(boxed(t.dims())));
        }
        return b.build();
    }

    /**
     * Fills in the inputs and outputs of a config that declares neither (a Triton config that only
     * sets batching or instances, relying on auto-complete), from the graph: with max_batch_size >
     * 0 the graph's first dim is taken as the batch dim and left out. A config that declares any
     * input or output is returned unchanged, and then must match the model exactly.
     */
    public static ModelConfig autoComplete(ModelConfig config, OnnxModelInfo info) {
        if (config.getInputCount() > 0 || config.getOutputCount() > 0) {
            return config;
        }
        int skip = config.getMaxBatchSize() > 0 ? 1 : 0;
        ModelConfig.Builder b = config.toBuilder();
        for (TensorSpec t : info.inputs()) {
            b.addInput(ModelInput.newBuilder()
                    .setName(t.name())
                    .setDataType(t.type().configType())
                    .addAllDims(boxed(t.dims()).subList(Math.min(skip, t.rank()), t.rank())));
        }
        for (TensorSpec t : info.outputs()) {
            b.addOutput(ModelOutput.newBuilder()
                    .setName(t.name())
                    .setDataType(t.type().configType())
                    .addAllDims(boxed(t.dims()).subList(Math.min(skip, t.rank()), t.rank())));
        }
        return b.build();
    }

    /**
     * Compares a config with the inputs and outputs the runtime reports. Returns one readable line
     * per mismatch (missing or extra tensors, types, ranks, dims; -1 only where the model's dim is
     * variable); empty when they match.
     */
    public static List<String> signatureMismatches(
            ModelConfig config, List<TensorSpec> inputs, List<TensorSpec> outputs) {
        return SignatureCheck.mismatches(config, inputs, outputs);
    }

    /** The input or output dims a request must have, with the batch dim prepended when max_batch_size > 0. */
    public static long[] fullDims(ModelConfig config, List<Long> dims) {
        long[] full = new long[dims.size() + (config.getMaxBatchSize() > 0 ? 1 : 0)];
        int i = 0;
        if (config.getMaxBatchSize() > 0) {
            full[i++] = -1;
        }
        for (long d : dims) {
            full[i++] = d;
        }
        return full;
    }

    /**
     * The {@code memory_bytes} parameter, if set.
     *
     * @throws IllegalArgumentException if it is set but not a positive number (a config that did
     *     not go through {@link #parse} or {@link #validate})
     */
    public static OptionalLong memoryBytes(ModelConfig config) {
        ModelParameter p = config.getParametersMap().get(PARAM_MEMORY_BYTES);
        if (p == null) {
            return OptionalLong.empty();
        }
        long v = ConfigValidator.parsePositiveLong(p.getStringValue());
        if (v < 0) {
            throw new IllegalArgumentException("parameter memory_bytes must be a positive number of bytes");
        }
        return OptionalLong.of(v);
    }

    /**
     * The one predicted footprint of a model version, used by the device ledger, the router,
     * placement, the capacity advisor and the admin API alike: per instance the config's
     * {@code memory_bytes} parameter, else the artifact's size times {@code footprintFactor} (rounded
     * up), times the number of instances ({@link #instanceCount}); saturating at
     * {@code Long.MAX_VALUE}, which fits nowhere.
     *
     * @throws IllegalArgumentException if {@code memory_bytes} is set but not a number of bytes
     */
    public static long predictedBytes(Optional<ModelConfig> config, long artifactBytes, double footprintFactor) {
        OptionalLong configured = config.map(ModelConfigs::memoryBytes).orElse(OptionalLong.empty());
        double perInstance =
                configured.isPresent() ? configured.getAsLong() : Math.ceil(artifactBytes * footprintFactor);
        double total = perInstance * config.map(ModelConfigs::instanceCount).orElse(1);
        return total >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) total;
    }

    /**
     * A non-negative whole-number parameter ({@code min_copies}, {@code max_copies},
     * {@code idle_ttl_seconds}); 0 when absent.
     *
     * @throws IllegalArgumentException naming the key if it is set but not such a number (a config
     *     that did not go through {@link #parse} or {@link #validate})
     */
    public static int wholeNumberParameter(ModelConfig config, String key) {
        ModelParameter p = config.getParametersMap().get(key);
        if (p == null) {
            return 0;
        }
        long v = ConfigValidator.parseWholeNumber(p.getStringValue(), Integer.MAX_VALUE);
        if (v < 0) {
            throw new IllegalArgumentException(
                    "parameter " + key + " must be a whole number in [0, " + Integer.MAX_VALUE + "]");
        }
        return (int) v;
    }

    /** Whether the {@code pinned} parameter is "true" (any case). */
    public static boolean pinned(ModelConfig config) {
        ModelParameter p = config.getParametersMap().get(PARAM_PINNED);
        return p != null && p.getStringValue().equalsIgnoreCase("true");
    }

    /** Whether the {@code hedging} parameter allows hedged forwards: true unless it is "false" (any case). */
    public static boolean hedging(ModelConfig config) {
        ModelParameter p = config.getParametersMap().get(ConfigValidator.PARAM_HEDGING);
        return p == null || !p.getStringValue().equalsIgnoreCase("false");
    }

    /**
     * The {@code batching} parameter: "auto" (also when absent), "always" or "never", lower case.
     *
     * @throws IllegalArgumentException if it is set to anything else (a config that did not go
     *     through {@link #parse} or {@link #validate})
     */
    public static String batching(ModelConfig config) {
        ModelParameter p = config.getParametersMap().get(ConfigValidator.PARAM_BATCHING);
        if (p == null) {
            return "auto";
        }
        String v = p.getStringValue().trim().toLowerCase(java.util.Locale.ROOT);
        if (!v.equals("auto") && !v.equals("always") && !v.equals("never")) {
            throw new IllegalArgumentException("parameter batching must be \"auto\", \"always\" or \"never\"");
        }
        return v;
    }

    /** Sessions to create: the sum of instance_group counts, a count of 0 counting as 1 (at least 1). */
    public static int instanceCount(ModelConfig config) {
        long total = 0;
        for (ModelInstanceGroup g : config.getInstanceGroupList()) {
            total += Math.max(1, g.getCount());
        }
        return (int) Math.max(1, Math.min(total, Integer.MAX_VALUE));
    }

    private static List<Long> boxed(long[] dims) {
        return Arrays.stream(dims).boxed().toList();
    }
}
