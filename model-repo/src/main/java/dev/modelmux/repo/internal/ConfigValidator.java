package dev.modelmux.repo.internal;

import com.google.protobuf.TextFormatParseInfoTree;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.ModelConfigException;
import dev.modelmux.repo.ModelNames;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelDynamicBatching;
import dev.modelmux.repo.config.ModelInput;
import dev.modelmux.repo.config.ModelInstanceGroup;
import dev.modelmux.repo.config.ModelOptimizationPolicy;
import dev.modelmux.repo.config.ModelOutput;
import dev.modelmux.repo.config.ModelParameter;
import dev.modelmux.repo.config.ModelTensorReshape;
import dev.modelmux.repo.config.ModelVersionPolicy;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks a parsed ModelConfig against what modelmux can serve: an ONNX model whose tensors,
 * versions, instances, batching, parameters and warm-up are well-formed. Fields that only
 * TensorRT, stateful or ensemble models use are refused with a message saying so, rather than
 * silently ignored; fields that only tune performance (optimization, response cache, metrics)
 * are accepted.
 */
public final class ConfigValidator {
    public static final String ONNX_PLATFORM = "onnxruntime_onnx";
    public static final String ONNX_BACKEND = "onnxruntime";
    public static final String PARAM_MEMORY_BYTES = "memory_bytes";
    public static final String PARAM_PINNED = "pinned";
    /** "false" keeps the mesh from hedging the model's forwards (a model with side effects, or costly). */
    public static final String PARAM_HEDGING = "hedging";
    /**
     * Whether a model with dynamic_batching batches: "auto" (the default; decided per device from
     * measured throughput), "always" or "never".
     */
    public static final String PARAM_BATCHING = "batching";

    private static final Set<String> BATCHING_VALUES = Set.of("auto", "always", "never");
    /** Placement parameters: whole numbers, 0 meaning "not set". */
    public static final java.util.List<String> WHOLE_NUMBER_PARAMS =
            java.util.List.of("min_copies", "max_copies", "idle_ttl_seconds");
    /** Most sessions one model may ask for, over all its instance groups. */
    public static final int MAX_INSTANCES = 128;

    private static final Set<String> GPU_ACCELERATORS = Set.of("tensorrt", "cuda");
    private static final Set<String> CPU_ACCELERATORS = Set.of("openvino");

    private final String model;
    private final ModelConfig c;
    private final ConfigProblems problems = new ConfigProblems();

    private ConfigValidator(String model, ModelConfig config) {
        this.model = model;
        this.c = config;
    }

    /**
     * @param tree where each field was written, to name lines; null for a config built in code
     * @throws ModelConfigException listing every problem, each with its line when known
     */
    public static void validate(String model, String fileName, ModelConfig config, TextFormatParseInfoTree tree)
            throws ModelConfigException {
        ConfigValidator v = new ConfigValidator(model, config);
        v.run();
        if (!v.problems.isEmpty()) {
            throw v.problems.toException(model, fileName, tree);
        }
    }

    private void run() {
        identity();
        if (c.getMaxBatchSize() < 0) {
            problems.add(ConfigPath.at("max_batch_size"), "max_batch_size must be >= 0, was " + c.getMaxBatchSize());
        }
        inputs();
        outputs();
        versionPolicy();
        instanceGroups();
        scheduling();
        parameters();
        fileNames();
        optimization();
        unsupported();
        WarmupRules.check(c, problems);
    }

    private void identity() {
        if (!c.getName().isEmpty() && !c.getName().equals(model)) {
            problems.add(
                    ConfigPath.at("name"),
                    "name '" + ModelNames.printable(c.getName()) + "' does not match the model folder '"
                            + ModelNames.printable(model) + "'; remove it or rename the folder");
        }
        if (!c.getPlatform().isEmpty() && !c.getPlatform().equals(ONNX_PLATFORM)) {
            problems.add(
                    ConfigPath.at("platform"),
                    "platform '" + ModelNames.printable(c.getPlatform())
                            + "' is not served: modelmux serves ONNX models (platform \"" + ONNX_PLATFORM
                            + "\" or backend \""
                            + ONNX_BACKEND + "\")");
        }
        if (!c.getBackend().isEmpty() && !c.getBackend().equals(ONNX_BACKEND)) {
            problems.add(
                    ConfigPath.at("backend"),
                    "backend '" + ModelNames.printable(c.getBackend())
                            + "' is not served: modelmux serves ONNX models (backend \"" + ONNX_BACKEND + "\")");
        }
        if (!c.getRuntime().isEmpty()) {
            problems.add(
                    ConfigPath.at("runtime"),
                    "runtime is not supported: modelmux runs ONNX models in its own" + " ONNX Runtime; remove it");
        }
    }

    private void inputs() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < c.getInputCount(); i++) {
            ModelInput in = c.getInput(i);
            ConfigPath at = ConfigPath.at("input", i);
            String label = tensorLabel("input", in.getName(), i);
            if (!in.getName().isEmpty() && !seen.add(in.getName())) {
                problems.add(at.then("name"), label + " is declared twice");
            }
            dataType(at, label, in.getDataType());
            dims(at, label, in.getDimsList());
            reshape(at, label, in.hasReshape() ? in.getReshape() : null);
            if (in.getIsShapeTensor()) {
                problems.add(at.then("is_shape_tensor"), label + ": is_shape_tensor applies to TensorRT models only");
            }
            if (in.getIsNonLinearFormatIo()) {
                problems.add(
                        at.then("is_non_linear_format_io"),
                        label + ": is_non_linear_format_io applies to TensorRT models only");
            }
        }
    }

    private void outputs() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < c.getOutputCount(); i++) {
            ModelOutput out = c.getOutput(i);
            ConfigPath at = ConfigPath.at("output", i);
            String label = tensorLabel("output", out.getName(), i);
            if (!out.getName().isEmpty() && !seen.add(out.getName())) {
                problems.add(at.then("name"), label + " is declared twice");
            }
            dataType(at, label, out.getDataType());
            dims(at, label, out.getDimsList());
            reshape(at, label, out.hasReshape() ? out.getReshape() : null);
            if (out.getIsShapeTensor()) {
                problems.add(at.then("is_shape_tensor"), label + ": is_shape_tensor applies to TensorRT models only");
            }
            if (out.getIsNonLinearFormatIo()) {
                problems.add(
                        at.then("is_non_linear_format_io"),
                        label + ": is_non_linear_format_io applies to TensorRT models only");
            }
        }
    }

    private String tensorLabel(String kind, String name, int index) {
        if (name.isEmpty()) {
            problems.add(ConfigPath.at(kind, index), kind + " #" + (index + 1) + " has no name");
            return kind + " #" + (index + 1);
        }
        return kind + " '" + ModelNames.printable(name) + "'";
    }

    private void dataType(ConfigPath at, String label, dev.modelmux.repo.config.DataType type) {
        if (type == dev.modelmux.repo.config.DataType.TYPE_INVALID) {
            problems.add(at.then("data_type"), label + " has no data_type (TYPE_INVALID)");
        } else if (DataType.fromConfig(type).isEmpty()) {
            problems.add(at.then("data_type"), label + " has an unknown data_type");
        }
    }

    private void dims(ConfigPath at, String label, List<Long> dims) {
        for (int d = 0; d < dims.size(); d++) {
            long v = dims.get(d);
            if (v == 0 || v < -1) {
                problems.add(
                        at.then("dims", d),
                        label + " dim " + d + " is " + v + ": each dim must be a positive size or -1 (variable)");
            }
        }
    }

    private void reshape(ConfigPath at, String label, ModelTensorReshape reshape) {
        if (reshape != null) {
            problems.add(
                    at.then("reshape"), label + ": reshape is not supported; give dims as the model declares them");
        }
    }

    private void versionPolicy() {
        if (!c.hasVersionPolicy()) {
            return;
        }
        ModelVersionPolicy p = c.getVersionPolicy();
        ConfigPath at = ConfigPath.at("version_policy");
        switch (p.getPolicyChoiceCase()) {
            case LATEST -> {
                if (p.getLatest().getNumVersions() == 0) {
                    problems.add(at.then("latest"), "version_policy latest: num_versions must be >= 1");
                }
            }
            case SPECIFIC -> {
                if (p.getSpecific().getVersionsCount() == 0) {
                    problems.add(at.then("specific"), "version_policy specific lists no versions");
                }
                for (int i = 0; i < p.getSpecific().getVersionsCount(); i++) {
                    long v = p.getSpecific().getVersions(i);
                    if (v < 1) {
                        problems.add(
                                at.then("specific").then("versions", i),
                                "version_policy specific: version " + v + " is invalid; versions are numbered from 1");
                    }
                }
            }
            default -> {}
        }
    }

    private void instanceGroups() {
        long total = 0;
        for (int i = 0; i < c.getInstanceGroupCount(); i++) {
            ModelInstanceGroup g = c.getInstanceGroup(i);
            ConfigPath at = ConfigPath.at("instance_group", i);
            String label = g.getName().isEmpty()
                    ? "instance_group #" + (i + 1)
                    : "instance_group '" + ModelNames.printable(g.getName()) + "'";
            if (g.getCount() < 0) {
                problems.add(at.then("count"), label + ": count must be >= 0, was " + g.getCount());
            }
            total += Math.max(1, g.getCount());
            if (g.getKind() == ModelInstanceGroup.Kind.UNRECOGNIZED) {
                problems.add(at.then("kind"), label + ": unknown kind");
            }
            if (g.getKind() == ModelInstanceGroup.Kind.KIND_CPU && g.getGpusCount() > 0) {
                problems.add(at.then("gpus"), label + ": gpus cannot be given for KIND_CPU");
            }
            for (int k = 0; k < g.getGpusCount(); k++) {
                if (g.getGpus(k) < 0) {
                    problems.add(at.then("gpus", k), label + ": gpu " + g.getGpus(k) + " is invalid");
                }
            }
            if (g.getSecondaryDevicesCount() > 0) {
                problems.add(at.then("secondary_devices"), label + ": secondary_devices apply to TensorRT models only");
            }
            if (g.getProfileCount() > 0) {
                problems.add(at.then("profile"), label + ": profile applies to TensorRT models only");
            }
            if (g.getPassive()) {
                problems.add(at.then("passive"), label + ": passive instances are not supported");
            }
        }
        if (total > MAX_INSTANCES) {
            problems.add(
                    ConfigPath.at("instance_group"),
                    "instance_group counts add up to " + total + "; at most " + MAX_INSTANCES + " instances per model");
        }
    }

    private void scheduling() {
        switch (c.getSchedulingChoiceCase()) {
            case DYNAMIC_BATCHING -> dynamicBatching(c.getDynamicBatching());
            case SEQUENCE_BATCHING ->
                problems.add(
                        ConfigPath.at("sequence_batching"),
                        "sequence_batching is not supported: modelmux serves stateless models (use dynamic_batching or none)");
            case ENSEMBLE_SCHEDULING ->
                problems.add(
                        ConfigPath.at("ensemble_scheduling"),
                        "ensemble_scheduling is not supported: modelmux does not serve ensembles");
            default -> {}
        }
    }

    private void dynamicBatching(ModelDynamicBatching b) {
        ConfigPath at = ConfigPath.at("dynamic_batching");
        if (c.getMaxBatchSize() <= 0) {
            problems.add(at, "dynamic_batching needs max_batch_size > 0");
        }
        for (int i = 0; i < b.getPreferredBatchSizeCount(); i++) {
            int size = b.getPreferredBatchSize(i);
            if (size < 1) {
                problems.add(
                        at.then("preferred_batch_size", i),
                        "dynamic_batching preferred_batch_size " + size + " must be >= 1");
            } else if (c.getMaxBatchSize() > 0 && size > c.getMaxBatchSize()) {
                problems.add(
                        at.then("preferred_batch_size", i),
                        "dynamic_batching preferred_batch_size " + size + " is above max_batch_size "
                                + c.getMaxBatchSize());
            }
        }
        long levels = b.getPriorityLevels();
        long def = b.getDefaultPriorityLevel();
        if (levels == 0 && def != 0) {
            problems.add(
                    at.then("default_priority_level"), "dynamic_batching default_priority_level needs priority_levels");
        } else if (levels > 0 && (def < 1 || def > levels)) {
            problems.add(
                    at.then("default_priority_level"),
                    "dynamic_batching default_priority_level must be in [1, " + levels + "], was " + def);
        }
        for (long level : b.getPriorityQueuePolicyMap().keySet()) {
            if (level < 1 || level > levels) {
                problems.add(
                        at.then("priority_queue_policy"),
                        "dynamic_batching priority_queue_policy for level " + Long.toUnsignedString(level)
                                + " is outside [1, priority_levels]");
            }
        }
    }

    private void parameters() {
        Map<String, ModelParameter> params = c.getParametersMap();
        int index = 0;
        for (Map.Entry<String, ModelParameter> e : params.entrySet()) {
            ConfigPath at = ConfigPath.at("parameters", index++);
            String value = e.getValue().getStringValue();
            if (e.getKey().equals(PARAM_MEMORY_BYTES) && parsePositiveLong(value) < 0) {
                problems.add(
                        at,
                        "parameter memory_bytes must be a positive number of bytes, was '" + ModelNames.printable(value)
                                + "'");
            }
            if ((e.getKey().equals(PARAM_PINNED) || e.getKey().equals(PARAM_HEDGING))
                    && !value.equalsIgnoreCase("true")
                    && !value.equalsIgnoreCase("false")) {
                problems.add(
                        at,
                        "parameter " + e.getKey() + " must be \"true\" or \"false\", was '"
                                + ModelNames.printable(value) + "'");
            }
            if (e.getKey().equals(PARAM_BATCHING)
                    && !BATCHING_VALUES.contains(value.trim().toLowerCase(java.util.Locale.ROOT))) {
                problems.add(
                        at,
                        "parameter batching must be \"auto\" (batch where it measures faster on the device),"
                                + " \"always\" or \"never\", was '" + ModelNames.printable(value) + "'");
            }
            if (WHOLE_NUMBER_PARAMS.contains(e.getKey()) && parseWholeNumber(value, Integer.MAX_VALUE) < 0) {
                problems.add(
                        at,
                        "parameter " + e.getKey() + " must be a whole number in [0, " + Integer.MAX_VALUE + "], was '"
                                + ModelNames.printable(value) + "'");
            }
        }
        long min = params.containsKey("min_copies")
                ? parseWholeNumber(params.get("min_copies").getStringValue(), Integer.MAX_VALUE)
                : 0;
        long max = params.containsKey("max_copies")
                ? parseWholeNumber(params.get("max_copies").getStringValue(), Integer.MAX_VALUE)
                : 0;
        if (min > 0 && max > 0 && min > max) {
            problems.add(
                    ConfigPath.at("parameters"),
                    "parameter min_copies (" + min + ") is more than max_copies (" + max + ")");
        }
    }

    /** The value (trimmed), or -1 when it is not a decimal whole number in [0, max]. */
    public static long parseWholeNumber(String s, long max) {
        String t = s == null ? "" : s.trim();
        if (t.equals("0")) {
            return 0;
        }
        long v = parsePositiveLong(t);
        return v > max ? -1 : v;
    }

    /** The value, or -1 when it is not a positive decimal long. */
    public static long parsePositiveLong(String s) {
        if (s == null || s.isEmpty() || s.length() > 19 || !s.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return -1;
        }
        try {
            long v = Long.parseLong(s);
            return v > 0 ? v : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void fileNames() {
        if (!c.getDefaultModelFilename().isEmpty() && !FileNames.isPlain(c.getDefaultModelFilename())) {
            problems.add(
                    ConfigPath.at("default_model_filename"),
                    "default_model_filename '"
                            + ModelNames.printable(c.getDefaultModelFilename())
                            + "' must be a plain file name in the version folder (letters, digits, '_', '.', '-')");
        }
        for (int i = 0; i < c.getOutputCount(); i++) {
            String label = c.getOutput(i).getLabelFilename();
            if (!label.isEmpty() && !FileNames.isPlain(label)) {
                problems.add(
                        ConfigPath.at("output", i).then("label_filename"),
                        "label_filename '" + ModelNames.printable(label)
                                + "' must be a plain file name in the model's folder");
            }
        }
        int index = 0;
        for (String name : c.getCcModelFilenamesMap().values()) {
            if (!FileNames.isPlain(name)) {
                problems.add(
                        ConfigPath.at("cc_model_filenames", index),
                        "cc_model_filenames '" + ModelNames.printable(name)
                                + "' must be a plain file name in the version folder");
            }
            index++;
        }
    }

    private void optimization() {
        if (!c.hasOptimization()) {
            return;
        }
        ModelOptimizationPolicy.ExecutionAccelerators acc = c.getOptimization().getExecutionAccelerators();
        ConfigPath at = ConfigPath.at("optimization").then("execution_accelerators");
        for (int i = 0; i < acc.getGpuExecutionAcceleratorCount(); i++) {
            String name = acc.getGpuExecutionAccelerator(i).getName();
            if (!GPU_ACCELERATORS.contains(name)) {
                problems.add(
                        at.then("gpu_execution_accelerator", i),
                        "unknown gpu_execution_accelerator '" + ModelNames.printable(name) + "' (known: "
                                + String.join(
                                        ", ", GPU_ACCELERATORS.stream().sorted().toList()) + ")");
            }
        }
        for (int i = 0; i < acc.getCpuExecutionAcceleratorCount(); i++) {
            String name = acc.getCpuExecutionAccelerator(i).getName();
            if (!CPU_ACCELERATORS.contains(name)) {
                problems.add(
                        at.then("cpu_execution_accelerator", i),
                        "unknown cpu_execution_accelerator '" + ModelNames.printable(name) + "' (known: openvino)");
            }
        }
    }

    private void unsupported() {
        if (c.getModelOperations().getOpLibraryFilenameCount() > 0) {
            problems.add(
                    ConfigPath.at("model_operations"),
                    "model_operations: custom-op libraries are never loaded from a repository; remove them");
        }
        if (c.getModelRepositoryAgents().getAgentsCount() > 0) {
            problems.add(
                    ConfigPath.at("model_repository_agents"), "model_repository_agents are not supported; remove them");
        }
        if (c.getModelTransactionPolicy().getDecoupled()) {
            problems.add(
                    ConfigPath.at("model_transaction_policy"),
                    "decoupled models are not supported: modelmux returns exactly one response per request");
        }
        if (c.getBatchInputCount() > 0) {
            problems.add(ConfigPath.at("batch_input"), "batch_input is not supported");
        }
        if (c.getBatchOutputCount() > 0) {
            problems.add(ConfigPath.at("batch_output"), "batch_output is not supported");
        }
    }
}
