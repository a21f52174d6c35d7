package dev.modelmux.gpu.internal;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.gpu.LoadSpec;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException;
import dev.modelmux.gpu.ModelLoadException.Kind;
import dev.modelmux.repo.Artifact;
import dev.modelmux.repo.ArtifactRejectedException;
import dev.modelmux.repo.ModelConfigs;
import dev.modelmux.repo.OnnxInspector;
import dev.modelmux.repo.OnnxModelInfo;
import dev.modelmux.repo.RepositoryException;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate, in order: read the artifact, pre-scan it, settle the config, create
 * {@code instance_group.count} sessions, check the runtime's signature against the config, warm
 * up, measure. Runs on a device's load thread; knows nothing of ledgers or residents. Whatever
 * fails closes what was opened and surfaces as a {@link ModelLoadException} whose message names
 * the model and what is wrong, never a path.
 */
final class ModelLoader {
    private static final Logger BATCH_LOG = LoggerFactory.getLogger(ModelLoader.class);

    /** Sessions per model, at most (what model-repo's config validation also allows). */
    static final int MAX_INSTANCES = 128;

    private final OrtRuntime runtime;
    private final FootprintMeter meter;
    private final ScanLimits limits;
    private final LongSupplier clock;
    private final ToLongFunction<DeviceSpec> runLimit;

    ModelLoader(
            OrtRuntime runtime,
            FootprintMeter meter,
            ScanLimits limits,
            LongSupplier clock,
            ToLongFunction<DeviceSpec> runLimit) {
        this.runtime = runtime;
        this.meter = meter;
        this.limits = limits;
        this.clock = clock;
        this.runLimit = runLimit;
    }

    /** Loads {@code key} on {@code device}; the caller has reserved {@code predictedBytes}. */
    OrtModel load(ModelKey key, DeviceSpec device, LoadSpec spec, long predictedBytes, long startNanos) {
        Artifact artifact = read(key, spec);
        OnnxModelInfo info;
        try {
            info = OnnxInspector.inspect(key.model(), artifact.content(), limits);
        } catch (ArtifactRejectedException e) {
            String reason = OrtMessages.of(e);
            String named = "model '" + key.model() + "': ";
            throw failure(
                    Kind.ARTIFACT,
                    key,
                    "artifact rejected: " + (reason.startsWith(named) ? reason.substring(named.length()) : reason),
                    null);
        }
        long runLimitBytes = runLimit.applyAsLong(device);
        RunBudget budget = RunBudget.of(key, info.runSizes(), runLimitBytes, device);
        ModelConfig config = config(key, spec, info);
        if (info.batchVariant() && config.hasDynamicBatching()) {
            BATCH_LOG.warn(
                    "model {} quantizes activations dynamically (one scale per input tensor): with dynamic_batching its"
                            + " outputs depend on the other requests in a batch (quantization noise); remove dynamic_batching if results"
                            + " must not depend on batch-mates",
                    key);
        }
        int instances = ModelConfigs.instanceCount(config);
        if (instances > MAX_INSTANCES) {
            throw failure(
                    Kind.CONFIG,
                    key,
                    "instance_group asks for " + instances + " instances; at most " + MAX_INSTANCES + " per model",
                    null);
        }
        List<OrtSession> sessions = new ArrayList<>(instances);
        try {
            long measured;
            List<TensorSpec> inputs;
            List<TensorSpec> outputs;
            try (FootprintMeter.Measurement measurement = meter.begin(device)) {
                try (OrtSession.SessionOptions options = runtime.sessionOptions(device)) {
                    for (int i = 0; i < instances; i++) {
                        sessions.add(createSession(artifact, options));
                    }
                } catch (OrtException e) {
                    throw failure(Kind.RUNTIME, key, "the runtime could not load it: " + OrtMessages.of(e), null);
                }
                inputs = signature(key, "input", sessions.get(0).getInputInfo());
                for (TensorSpec in : inputs) {
                    if (!Tensors.creatable(in.type())) {
                        throw failure(
                                Kind.SIGNATURE,
                                key,
                                "input '" + in.name() + "' has element type " + in.type()
                                        + ", which the runtime's Java binding cannot feed",
                                null);
                    }
                }
                outputs = signature(key, "output", sessions.get(0).getOutputInfo());
                List<String> mismatches = ModelConfigs.signatureMismatches(config, inputs, outputs);
                if (!mismatches.isEmpty()) {
                    throw failure(
                            Kind.SIGNATURE,
                            key,
                            "the model does not match its config: " + String.join("; ", mismatches),
                            null);
                }
                Warmup.run(runtime.env(), key, sessions, config, inputs);
                // Each session holds its own copy of the weights.
                measured = measurement.bytes(predictedBytes, saturatingTimes(info.initializerBytes(), instances));
            }
            return new OrtModel(
                    key,
                    device,
                    config,
                    inputs,
                    outputs,
                    artifact.sha256(),
                    predictedBytes,
                    measured,
                    clock.getAsLong() - startNanos,
                    sessions,
                    runtime.env(),
                    dimNames(sessions.get(0).getInputInfo()),
                    budget);
        } catch (OrtException e) {
            closeAll(sessions);
            throw failure(Kind.RUNTIME, key, OrtMessages.of(e), null);
        } catch (RuntimeException | Error e) {
            closeAll(sessions);
            throw e;
        }
    }

    private static Artifact read(ModelKey key, LoadSpec spec) {
        try {
            Artifact artifact = spec.source().read();
            if (artifact == null) {
                throw failure(Kind.ARTIFACT, key, "the artifact could not be read", null);
            }
            return artifact;
        } catch (ModelLoadException e) {
            throw e;
        } catch (Exception e) {
            // A read that failed says nothing about the model (unless the repository refused the file for
            // what it is, e.g. too large): the load may pass when tried again.
            boolean again = !(e instanceof RepositoryException)
                    || e instanceof RepositoryException.Unreadable
                    || e instanceof RepositoryException.NotFound;
            throw new ModelLoadException(
                    Kind.ARTIFACT,
                    "model '" + key.model() + "' version " + key.version() + ": the artifact could not be read: "
                            + OrtMessages.of(e),
                    null,
                    again);
        }
    }

    /** A session from the artifact's content: mapped content directly (no heap copy), an array otherwise. */
    private OrtSession createSession(Artifact artifact, OrtSession.SessionOptions options) throws OrtException {
        ByteBuffer content = artifact.content();
        return content.isDirect()
                ? runtime.env().createSession(content, options)
                : runtime.env().createSession(artifact.bytes(), options);
    }

    static long saturatingTimes(long bytes, int times) {
        return bytes > Long.MAX_VALUE / Math.max(1, times) ? Long.MAX_VALUE : bytes * times;
    }

    private static ModelConfig config(ModelKey key, LoadSpec spec, OnnxModelInfo info) {
        try {
            // A config that lists no tensors relies on auto-complete from the graph, as in Triton.
            return spec.config().isPresent()
                    ? ModelConfigs.autoComplete(spec.config().get(), info)
                    : ModelConfigs.derive(key.model(), info);
        } catch (RuntimeException e) {
            throw failure(Kind.CONFIG, key, "no config could be derived from the graph: " + OrtMessages.of(e), null);
        }
    }

    /** Each input's symbolic dim names as the runtime reports them ("" where none). */
    private static Map<String, List<String>> dimNames(Map<String, NodeInfo> nodes) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (NodeInfo node : nodes.values()) {
            if (node.getInfo() instanceof TensorInfo info) {
                List<String> names = new ArrayList<>();
                String[] raw = info.getDimensionNames();
                for (int i = 0; i < info.getShape().length; i++) {
                    String n = raw != null && i < raw.length && raw[i] != null ? raw[i] : "";
                    names.add(info.getShape()[i] >= 0 ? "" : n);
                }
                out.put(node.getName(), List.copyOf(names));
            }
        }
        return out;
    }

    private static List<TensorSpec> signature(ModelKey key, String what, Map<String, NodeInfo> nodes) {
        List<TensorSpec> specs = new ArrayList<>(nodes.size());
        for (NodeInfo node : nodes.values()) {
            try {
                specs.add(Tensors.spec(node));
            } catch (Tensors.SignatureException e) {
                throw failure(Kind.SIGNATURE, key, what + " " + e.getMessage(), null);
            }
        }
        return specs;
    }

    static void closeAll(List<OrtSession> sessions) {
        for (OrtSession s : sessions) {
            try {
                s.close();
            } catch (OrtException | RuntimeException ignored) {
                // Closing is best effort; the native memory goes with the process at worst.
            }
        }
    }

    /** A failure whose message starts with the model and version: "model 'm' version 3: ...". */
    static ModelLoadException failure(Kind kind, ModelKey key, String detail, Throwable cause) {
        return new ModelLoadException(
                kind, "model '" + key.model() + "' version " + key.version() + ": " + detail, cause);
    }
}
