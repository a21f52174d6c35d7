package dev.modelmux.gpu.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelmux.gpu.DeadlineExceededException;
import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.LoadedModel;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.RunMemoryExceededException;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * A model version that passed its gate: its sessions ({@code instance_group.count}, used round
 * robin) and what the runtime says about it. {@link #infer} runs on the caller's (device) thread;
 * {@link #close} only once nothing can call it any more.
 */
final class OrtModel implements LoadedModel {
    private final ModelKey key;
    private final DeviceSpec device;
    private final ModelConfig config;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final Map<String, TensorSpec> inputsByName = new HashMap<>();
    private final List<String> outputNames;
    private final String sha256;
    private final long predictedBytes;
    private final long measuredBytes;
    private final long loadNanos;
    private final List<OrtSession> sessions;
    private final OrtEnvironment env;
    private final AtomicInteger next = new AtomicInteger();
    private final Map<String, List<String>> inputDimNames;
    private final RunBudget budget;

    OrtModel(
            ModelKey key,
            DeviceSpec device,
            ModelConfig config,
            List<TensorSpec> inputs,
            List<TensorSpec> outputs,
            String sha256,
            long predictedBytes,
            long measuredBytes,
            long loadNanos,
            List<OrtSession> sessions,
            OrtEnvironment env,
            Map<String, List<String>> inputDimNames,
            RunBudget budget) {
        this.inputDimNames = Map.copyOf(inputDimNames);
        this.budget = budget;
        this.key = key;
        this.device = device;
        this.config = config;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.outputNames = outputs.stream().map(TensorSpec::name).toList();
        inputs.forEach(t -> inputsByName.put(t.name(), t));
        this.sha256 = sha256;
        this.predictedBytes = predictedBytes;
        this.measuredBytes = measuredBytes;
        this.loadNanos = loadNanos;
        this.sessions = List.copyOf(sessions);
        this.env = env;
    }

    /**
     * Runs one inference on the calling thread. Every tensor and result is closed before it returns.
     *
     * @throws InferenceException bad input (unknown names, types, shapes the runtime rejects) or a
     *     runtime failure, with a message safe to show the caller
     * @throws RunMemoryExceededException before the runtime runs, when an output the graph sizes from the
     *     inputs' values would exceed the device's run limit
     */
    List<TensorData> infer(List<TensorData> in, Set<String> requested) {
        return infer(in, requested, Long.MAX_VALUE, System::nanoTime);
    }

    /**
     * As {@link #infer(List, Set)}; with a deadline ({@code deadlineNanos} on {@code clock}, not
     * {@code Long.MAX_VALUE}) the run gets its own run options, whose terminate flag a timer sets
     * when the deadline passes, and then fails with {@link DeadlineExceededException}.
     */
    List<TensorData> infer(List<TensorData> in, Set<String> requested, long deadlineNanos, LongSupplier clock) {
        return infer(in, requested, deadlineNanos, clock, new long[3]);
    }

    /**
     * As {@link #infer(List, Set, long, LongSupplier)}, reporting in {@code timing} the nanoseconds spent
     * preparing the inputs [0], in the runtime's run [1] and extracting the outputs [2].
     */
    List<TensorData> infer(
            List<TensorData> in, Set<String> requested, long deadlineNanos, LongSupplier clock, long[] timing) {
        Set<String> wanted = requestedOutputs(requested);
        long t0 = clock.getAsLong();
        budget.check(in);
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        RunDeadlines.Guard guard = null;
        ScheduledFuture<?>[] timer = new ScheduledFuture<?>[1];
        try {
            for (TensorData t : in) {
                if (!inputsByName.containsKey(t.name())) {
                    throw new InferenceException(
                            "unknown input '" + t.name() + "'; model " + key + " has inputs "
                                    + inputs.stream().map(TensorSpec::name).toList(),
                            true,
                            null);
                }
                if (tensors.containsKey(t.name())) {
                    throw new InferenceException("input '" + t.name() + "' given twice", true, null);
                }
                tensors.put(t.name(), Tensors.toOrt(env, t));
            }
            OrtSession session = sessions.get(Math.floorMod(next.getAndIncrement(), sessions.size()));
            long t1 = clock.getAsLong();
            timing[0] = t1 - t0;
            if (deadlineNanos != Long.MAX_VALUE) {
                guard = RunDeadlines.open(deadlineNanos - clock.getAsLong(), timer);
            }
            try (OrtSession.Result result =
                    guard == null ? session.run(tensors, wanted) : session.run(tensors, wanted, guard.options)) {
                long t2 = clock.getAsLong();
                timing[1] = t2 - t1;
                List<TensorData> out = new ArrayList<>(wanted.size());
                for (String name : wanted) {
                    Optional<OnnxValue> value = result.get(name);
                    if (value.isEmpty()) {
                        throw new InferenceException("the runtime returned no output '" + name + "'", false, null);
                    }
                    out.add(Tensors.fromOrt(name, value.get()));
                }
                timing[2] = clock.getAsLong() - t2;
                return out;
            }
        } catch (OrtException e) {
            if (guard != null && guard.terminated()) {
                throw new DeadlineExceededException(
                        "deadline exceeded while running on " + device.id() + "; ONNX Runtime terminated the inference",
                        true);
            }
            boolean badInput = e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT;
            throw new InferenceException(OrtMessages.of(e), badInput, null);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // ONNX Runtime's Java binding checks buffer sizes and shapes with these.
            throw new InferenceException(OrtMessages.of(e), true, null);
        } finally {
            if (timer[0] != null) {
                timer[0].cancel(false);
            }
            tensors.values().forEach(OnnxTensor::close);
            if (guard != null) {
                guard.close();
            }
        }
    }

    private Set<String> requestedOutputs(Set<String> requested) {
        if (requested.isEmpty()) {
            return new LinkedHashSet<>(outputNames);
        }
        for (String name : requested) {
            if (!outputNames.contains(name)) {
                throw new InferenceException(
                        "unknown output '" + name + "'; model " + key + " has outputs " + outputNames, true, null);
            }
        }
        return new LinkedHashSet<>(requested);
    }

    int instances() {
        return sessions.size();
    }

    void close() {
        ModelLoader.closeAll(sessions);
    }

    @Override
    public ModelKey key() {
        return key;
    }

    @Override
    public DeviceSpec device() {
        return device;
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public List<TensorSpec> inputs() {
        return inputs;
    }

    @Override
    public Map<String, List<String>> inputDimNames() {
        return inputDimNames;
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs;
    }

    @Override
    public String sha256() {
        return sha256;
    }

    @Override
    public long predictedBytes() {
        return predictedBytes;
    }

    @Override
    public long measuredBytes() {
        return measuredBytes;
    }

    @Override
    public long loadNanos() {
        return loadNanos;
    }

    @Override
    public String toString() {
        return key + "@" + device.id();
    }
}
