package dev.modelmux.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.repo.OnnxModelBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model of the benchmark's generated repository: its ONNX bytes, its config, the one request
 * the benchmark sends, and the answer in-process ONNX Runtime gives to it (the reference every
 * mesh answer is compared with).
 *
 * @param name the model's name in the repository
 * @param onnx the model file
 * @param config config.pbtxt without the name line
 * @param int64 INT64 inputs by name
 * @param fp32 FP32 inputs by name
 * @param shape the shape of every input
 */
record BenchModel(
        String name, byte[] onnx, String config, Map<String, long[]> int64, Map<String, float[]> fp32, long[] shape) {
    private static final int TOKENS = 32;

    /** An MLP {@code input FP32 [1, 16] -> output FP32 [1, 4]} with about {@code weightBytes} of weights. */
    static BenchModel mlp(String name, long seed, long weightBytes) {
        return mlp(
                name,
                seed,
                OnnxModelBuilder.mlp()
                        .inputDim(16)
                        .outputDim(4)
                        .depth(1)
                        .weightBytes(weightBytes)
                        .seed(seed)
                        .build());
    }

    /** bench/run's tiny MLP: {@code input FP32 [1, 16] -> 64 -> output FP32 [1, 4]}. */
    static BenchModel tinyMlp(String name) {
        return mlp(
                name,
                1,
                OnnxModelBuilder.mlp()
                        .inputDim(16)
                        .width(64)
                        .depth(1)
                        .outputDim(4)
                        .seed(1)
                        .build());
    }

    private static BenchModel mlp(String name, long seed, byte[] onnx) {
        float[] x = new float[16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i + seed);
        }
        return new BenchModel(
                name,
                onnx,
                "platform: \"onnxruntime_onnx\"\nmax_batch_size: 8\ninput [ { name: \"input\" data_type: TYPE_FP32 dims: [ 16 ] } ]\n"
                        + "output [ { name: \"output\" data_type: TYPE_FP32 dims: [ 4 ] } ]\n",
                Map.of(),
                Map.of("input", x),
                new long[] {1, 16});
    }

    /** The quantized MiniLM sentence encoder with one 32-token sentence. */
    static BenchModel minilm(String name, byte[] onnx) {
        long[] ids = new long[TOKENS];
        long[] mask = new long[TOKENS];
        for (int i = 0; i < TOKENS; i++) {
            ids[i] = i == 0 ? 101 : i == TOKENS - 1 ? 102 : 1000 + (i * 37) % 20000;
            mask[i] = 1;
        }
        return new BenchModel(
                name,
                onnx,
                "platform: \"onnxruntime_onnx\"\nmax_batch_size: 8\ninput [\n"
                        + " { name: \"input_ids\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                        + " { name: \"attention_mask\" data_type: TYPE_INT64 dims: [ -1 ] },\n"
                        + " { name: \"token_type_ids\" data_type: TYPE_INT64 dims: [ -1 ] }\n]\n",
                Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", new long[TOKENS]),
                Map.of(),
                new long[] {1, TOKENS});
    }

    /** The same model with one more config.pbtxt parameter. */
    BenchModel withParameter(String key, String value) {
        return new BenchModel(
                name,
                onnx,
                config + "parameters { key: \"" + key + "\" value { string_value: \"" + value + "\" } }\n",
                int64,
                fp32,
                shape);
    }

    /** The same file and request under another name. */
    BenchModel named(String other) {
        return new BenchModel(other, onnx, config, int64, fp32, shape);
    }

    /** Writes {@code <repo>/<name>/config.pbtxt} and {@code <repo>/<name>/1/model.onnx}. */
    void writeTo(Path repo) throws IOException {
        Path dir = repo.resolve(name);
        Files.createDirectories(dir.resolve("1"));
        Files.writeString(dir.resolve("config.pbtxt"), "name: \"" + name + "\"\n" + config);
        Files.write(dir.resolve("1").resolve("model.onnx"), onnx);
    }

    /** The benchmark's request for this model, inputs as raw little-endian contents. */
    ModelInferRequest request() {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(name);
        for (var e : int64.entrySet()) {
            ByteBuffer buf = ByteBuffer.allocate(e.getValue().length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : e.getValue()) {
                buf.putLong(v);
            }
            b.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(e.getKey())
                    .setDatatype("INT64")
                    .addShape(shape[0])
                    .addShape(shape[1]));
            b.addRawInputContents(ByteString.copyFrom(buf.array()));
        }
        for (var e : fp32.entrySet()) {
            ByteBuffer buf = ByteBuffer.allocate(e.getValue().length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : e.getValue()) {
                buf.putFloat(v);
            }
            b.addInputs(ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(e.getKey())
                    .setDatatype("FP32")
                    .addShape(shape[0])
                    .addShape(shape[1]));
            b.addRawInputContents(ByteString.copyFrom(buf.array()));
        }
        return b.build();
    }

    /** Runs the request in-process on {@code session}; every FP32 output by name, flattened. */
    Map<String, float[]> run(OrtEnvironment env, OrtSession session) {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
            for (var e : int64.entrySet()) {
                in.put(e.getKey(), OnnxTensor.createTensor(env, LongBuffer.wrap(e.getValue()), shape));
            }
            for (var e : fp32.entrySet()) {
                in.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(e.getValue()), shape));
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            try (OrtSession.Result r = session.run(in)) {
                for (Map.Entry<String, OnnxValue> o : r) {
                    FloatBuffer fb = ((OnnxTensor) o.getValue()).getFloatBuffer();
                    float[] f = new float[fb.remaining()];
                    fb.get(f);
                    out.put(o.getKey(), f);
                }
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(name + ": in-process run failed: " + e.getMessage(), e);
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** Creates a session for this file, runs the request once, closes it: the in-process cold path. */
    Map<String, float[]> createAndRun(OrtEnvironment env) {
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(onnx, o)) {
            return run(env, s);
        } catch (OrtException e) {
            throw new IllegalStateException(name + ": in-process session failed: " + e.getMessage(), e);
        }
    }

    /** Every FP32 output of a mesh response by name (raw little-endian contents). */
    static Map<String, float[]> outputs(ModelInferResponse r) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (int i = 0; i < r.getOutputsCount(); i++) {
            ModelInferResponse.InferOutputTensor t = r.getOutputs(i);
            float[] f;
            if (i < r.getRawOutputContentsCount()) {
                FloatBuffer fb = r.getRawOutputContents(i)
                        .asReadOnlyByteBuffer()
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .asFloatBuffer();
                f = new float[fb.remaining()];
                fb.get(f);
            } else {
                f = new float[t.getContents().getFp32ContentsCount()];
                for (int j = 0; j < f.length; j++) {
                    f[j] = t.getContents().getFp32Contents(j);
                }
            }
            out.put(t.getName(), f);
        }
        return out;
    }

    /**
     * Largest difference between a mesh answer and the reference, relative to max(1, |reference|);
     * infinity when an output is missing or has another length.
     */
    static double maxRelativeError(Map<String, float[]> reference, Map<String, float[]> got) {
        double worst = 0;
        for (var e : reference.entrySet()) {
            float[] g = got.get(e.getKey());
            float[] want = e.getValue();
            if (g == null || g.length != want.length) {
                return Double.POSITIVE_INFINITY;
            }
            for (int i = 0; i < want.length; i++) {
                double d = Math.abs((double) g[i] - want[i]) / Math.max(1.0, Math.abs(want[i]));
                worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : Math.max(worst, d);
            }
        }
        return worst;
    }
}
