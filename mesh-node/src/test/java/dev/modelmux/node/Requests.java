package dev.modelmux.node;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.Map;

/** Request builders and an in-process ONNX Runtime reference for tests. */
final class Requests {
    private Requests() {}

    static ModelInferRequest fp32(String model, String input, float[] data, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : data) {
            b.putFloat(f);
        }
        ModelInferRequest.InferInputTensor.Builder in =
                ModelInferRequest.InferInputTensor.newBuilder().setName(input).setDatatype("FP32");
        for (long d : shape) {
            in.addShape(d);
        }
        return ModelInferRequest.newBuilder()
                .setModelName(model)
                .addInputs(in)
                .addRawInputContents(ByteString.copyFrom(b.array()))
                .build();
    }

    static float[] ramp(int n, float scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) Math.sin(i * 0.37) * scale;
        }
        return f;
    }

    static float[] floats(ModelInferResponse r, int output) {
        FloatBuffer fb = r.getRawOutputContents(output)
                .asReadOnlyByteBuffer()
                .order(ByteOrder.LITTLE_ENDIAN)
                .asFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    /** Runs a model in-process with a plain ONNX Runtime session: the reference the node must match. */
    static float[] reference(byte[] model, Map<String, OnnxTensorFactory> inputs, String output) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(model, o)) {
            Map<String, OnnxTensor> t = new HashMap<>();
            try {
                for (var e : inputs.entrySet()) {
                    t.put(e.getKey(), e.getValue().create(env));
                }
                try (OrtSession.Result r = s.run(t)) {
                    OnnxTensor out = (OnnxTensor) r.get(output).orElseThrow();
                    FloatBuffer fb = out.getFloatBuffer();
                    float[] f = new float[fb.remaining()];
                    fb.get(f);
                    return f;
                }
            } finally {
                t.values().forEach(OnnxTensor::close);
            }
        }
    }

    /** Creates a tensor for {@link #reference}. */
    @FunctionalInterface
    interface OnnxTensorFactory {
        OnnxTensor create(OrtEnvironment env) throws Exception;
    }
}
