package dev.modelmux.gpu.internal;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.modelmux.gpu.InferenceException;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException.Kind;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.config.ModelConfig;
import dev.modelmux.repo.config.ModelWarmup;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The warm-up part of the gate. With {@code model_warmup} in the config, each sample runs
 * {@code count} times (at least once) on every session, with {@code zero_data} or
 * {@code random_data} inputs; {@code input_data_file} is refused because modelmux never reads
 * files named by a config. Without it, one run with zeros, variable dims set to 1.
 *
 * <p>Random data is seeded (deterministic): floats in [0, 1), integers in [0, 10) (safe as
 * indices for embedding-style inputs), booleans 0/1, strings of digits.
 */
final class Warmup {
    /** Largest warm-up tensor; a config asking for more is refused rather than allocated. */
    static final long MAX_TENSOR_BYTES = 256L << 20;

    private static final long SEED = 0x5EEDL;

    /** One named sample: its inputs and how many times to run it. */
    record Sample(String name, List<TensorData> inputs, int count) {}

    private Warmup() {}

    /** Runs every sample on every session; fails with WARMUP (run failed) or CONFIG (sample refused). */
    static void run(
            OrtEnvironment env, ModelKey key, List<OrtSession> sessions, ModelConfig config, List<TensorSpec> inputs) {
        List<Sample> samples = samples(key, config, inputs);
        for (OrtSession session : sessions) {
            for (Sample sample : samples) {
                for (int i = 0; i < sample.count(); i++) {
                    runOnce(env, key, session, sample);
                }
            }
        }
    }

    static List<Sample> samples(ModelKey key, ModelConfig config, List<TensorSpec> inputs) {
        SplittableRandom random = new SplittableRandom(SEED);
        if (config.getModelWarmupCount() == 0) {
            List<TensorData> zeros = new ArrayList<>();
            for (TensorSpec in : inputs) {
                long[] dims = in.dims();
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = dims[i] < 0 ? 1 : dims[i];
                }
                zeros.add(tensor(key, "default", in.name(), in.type(), dims, false, random));
            }
            return List.of(new Sample("default", zeros, 1));
        }
        List<Sample> samples = new ArrayList<>();
        for (ModelWarmup w : config.getModelWarmupList()) {
            String name = w.getName().isEmpty() ? "sample " + samples.size() : w.getName();
            List<TensorData> tensors = new ArrayList<>();
            // Sorted for a deterministic order of random draws.
            Map<String, ModelWarmup.Input> ordered = new LinkedHashMap<>();
            w.getInputsMap().keySet().stream()
                    .sorted()
                    .forEach(k -> ordered.put(k, w.getInputsMap().get(k)));
            for (Map.Entry<String, ModelWarmup.Input> e : ordered.entrySet()) {
                ModelWarmup.Input in = e.getValue();
                DataType type = DataType.fromConfig(in.getDataType())
                        .orElseThrow(() -> ModelLoader.failure(
                                Kind.CONFIG,
                                key,
                                "warm-up '" + name + "' input '" + e.getKey() + "' has no valid data_type",
                                null));
                boolean randomData = switch (in.getInputDataTypeCase()) {
                    case RANDOM_DATA -> true;
                    case ZERO_DATA, INPUTDATATYPE_NOT_SET -> false;
                    case INPUT_DATA_FILE ->
                        throw ModelLoader.failure(
                                Kind.CONFIG,
                                key,
                                "warm-up '" + name + "' input '"
                                        + e.getKey()
                                        + "' uses input_data_file, which is not supported (files named by a config are never "
                                        + "read); use zero_data or random_data",
                                null);
                };
                List<Long> dims = new ArrayList<>();
                if (config.getMaxBatchSize() > 0) {
                    dims.add((long) Math.max(1, w.getBatchSize()));
                }
                for (long d : in.getDimsList()) {
                    if (d < 0) {
                        throw ModelLoader.failure(
                                Kind.CONFIG,
                                key,
                                "warm-up '" + name + "' input '" + e.getKey()
                                        + "' has a variable dim; warm-up dims must be concrete",
                                null);
                    }
                    dims.add(d);
                }
                long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
                tensors.add(tensor(key, name, e.getKey(), type, shape, randomData, random));
            }
            samples.add(new Sample(name, tensors, Math.max(1, w.getCount())));
        }
        return samples;
    }

    private static TensorData tensor(
            ModelKey key,
            String sample,
            String input,
            DataType type,
            long[] shape,
            boolean randomData,
            SplittableRandom random) {
        long elements = 1;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            long bytes = Math.multiplyExact(elements, type.fixedSize() ? type.byteSize() : 1);
            if (bytes > MAX_TENSOR_BYTES) {
                throw new ArithmeticException();
            }
        } catch (ArithmeticException tooLarge) {
            throw ModelLoader.failure(
                    Kind.CONFIG,
                    key,
                    "warm-up '" + sample + "' input '" + input + "' of shape " + Arrays.toString(shape) + " exceeds "
                            + (MAX_TENSOR_BYTES >> 20) + " MiB",
                    null);
        }
        int n = (int) elements;
        if (type == DataType.BYTES) {
            List<byte[]> strings = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                strings.add(
                        randomData
                                ? Long.toString(random.nextLong(100_000_000L)).getBytes(StandardCharsets.US_ASCII)
                                : new byte[0]);
            }
            return TensorData.ofStrings(input, shape, strings);
        }
        ByteBuffer raw = ByteBuffer.allocateDirect(n * type.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        if (randomData) {
            for (int i = 0; i < n; i++) {
                putRandom(raw, type, random);
            }
            raw.flip();
        }
        return TensorData.ofRaw(input, type, shape, raw);
    }

    private static void putRandom(ByteBuffer raw, DataType type, SplittableRandom random) {
        switch (type) {
            case BOOL -> raw.put((byte) random.nextInt(2));
            case UINT8, INT8 -> raw.put((byte) random.nextInt(10));
            case UINT16, INT16 -> raw.putShort((short) random.nextInt(10));
            case UINT32, INT32 -> raw.putInt(random.nextInt(10));
            case UINT64, INT64 -> raw.putLong(random.nextInt(10));
            case FP32 -> raw.putFloat((float) random.nextDouble());
            case FP64 -> raw.putDouble(random.nextDouble());
            // Half and bfloat16 in [2^-14, 1): exponent 1..14 with a random mantissa.
            case FP16 -> raw.putShort((short) ((random.nextInt(1, 15) << 10) | random.nextInt(1 << 10)));
            case BF16 -> raw.putShort((short) (Float.floatToIntBits((float) random.nextDouble()) >>> 16));
            default -> throw new IllegalArgumentException("no random data for " + type);
        }
    }

    private static void runOnce(OrtEnvironment env, ModelKey key, OrtSession session, Sample sample) {
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        try {
            for (TensorData t : sample.inputs()) {
                tensors.put(t.name(), Tensors.toOrt(env, t));
            }
            try (OrtSession.Result ignored = session.run(tensors)) {
                // Outputs are discarded; a run that completes is a pass.
            }
        } catch (OrtException | InferenceException | IllegalArgumentException | IllegalStateException e) {
            throw ModelLoader.failure(
                    Kind.WARMUP, key, "warm-up '" + sample.name() + "' failed: " + OrtMessages.of(e), null);
        } finally {
            tensors.values().forEach(OnnxTensor::close);
        }
    }
}
