package dev.modelmux.repo;

import com.google.protobuf.ByteString;
import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.ModelProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.OperatorSetIdProto;
import dev.modelmux.repo.onnx.TensorProto;
import dev.modelmux.repo.onnx.TensorShapeProto;
import dev.modelmux.repo.onnx.TypeProto;
import dev.modelmux.repo.onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Writes valid ONNX models from our own minimal onnx.proto: Gemm/Relu MLPs of a chosen width,
 * depth and weight size, and single-op Identity models of any element type. Used by tests,
 * benchmarks and the example repository. Output is deterministic for a given seed.
 */
public final class OnnxModelBuilder {
    public static final int OPSET = 13;
    public static final long IR_VERSION = 8;

    private OnnxModelBuilder() {}

    /** Starts an MLP: {@code input[batch, inputDim] -> (Gemm, Relu) x depth -> Gemm -> output[batch, outputDim]}. */
    public static Mlp mlp() {
        return new Mlp();
    }

    /**
     * An Identity model whose input {@code input} and output {@code output} have the given type and
     * dims; {@code -1} makes a dim symbolic.
     */
    public static byte[] identity(DataType type, long... dims) {
        GraphProto graph = GraphProto.newBuilder()
                .setName("identity")
                .addNode(NodeProto.newBuilder()
                        .setOpType("Identity")
                        .setName("id")
                        .addInput("input")
                        .addOutput("output"))
                .addInput(valueInfo("input", type, dims))
                .addOutput(valueInfo("output", type, dims))
                .build();
        return model(graph).toByteArray();
    }

    /**
     * A model whose rows are mixed: {@code rounds} times {@code x = (x · xᵀ / dim) · x}, from
     * {@code input[batch, dim]} to {@code output[batch, dim]}. A run costs about {@code 4 · rounds ·
     * batch² · dim} operations, so batching it costs more per row than running rows one by one (and
     * changes its outputs): a model for which batching can only lose, for tests and benchmarks.
     */
    public static byte[] rowMixing(int dim, int rounds) {
        if (dim < 1 || rounds < 1) {
            throw new IllegalArgumentException("dim and rounds must be >= 1");
        }
        GraphProto.Builder g = GraphProto.newBuilder().setName("row_mixing");
        g.addInput(valueInfo("input", DataType.FP32, -1, dim));
        g.addOutput(valueInfo("output", DataType.FP32, -1, dim));
        ByteBuffer scale = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f / dim);
        scale.flip();
        g.addInitializer(TensorProto.newBuilder()
                .setName("inv_dim")
                .setDataType(DataType.FP32.onnxElemType())
                .setRawData(ByteString.copyFrom(scale)));
        String x = "input";
        for (int r = 0; r < rounds; r++) {
            String out = r == rounds - 1 ? "output" : "x" + r;
            g.addNode(NodeProto.newBuilder()
                    .setOpType("Transpose")
                    .setName("t" + r)
                    .addInput(x)
                    .addOutput("t" + r));
            g.addNode(NodeProto.newBuilder()
                    .setOpType("MatMul")
                    .setName("gram" + r)
                    .addInput(x)
                    .addInput("t" + r)
                    .addOutput("gram" + r));
            g.addNode(NodeProto.newBuilder()
                    .setOpType("Mul")
                    .setName("scaled" + r)
                    .addInput("gram" + r)
                    .addInput("inv_dim")
                    .addOutput("scaled" + r));
            g.addNode(NodeProto.newBuilder()
                    .setOpType("MatMul")
                    .setName("mix" + r)
                    .addInput("scaled" + r)
                    .addInput(x)
                    .addOutput(out));
            x = out;
        }
        return model(g.build()).toByteArray();
    }

    /** One input passed through to one output by an Identity node, for {@link #identities}. */
    public record Passthrough(String input, String output, DataType type, long... dims) {}

    /**
     * A model of several Identity nodes, one per {@code Passthrough}: a graph with inputs and outputs
     * of different types and symbolic dims (the same {@code -1} position shares a name across tensors,
     * "batch" first, as in {@link #valueInfo}).
     */
    public static byte[] identities(Passthrough... ios) {
        GraphProto.Builder graph = GraphProto.newBuilder().setName("identities");
        for (Passthrough io : ios) {
            graph.addNode(NodeProto.newBuilder()
                            .setOpType("Identity")
                            .setName("id_" + io.input())
                            .addInput(io.input())
                            .addOutput(io.output()))
                    .addInput(valueInfo(io.input(), io.type(), io.dims()))
                    .addOutput(valueInfo(io.output(), io.type(), io.dims()));
        }
        return model(graph.build()).toByteArray();
    }

    /** Wraps a graph in a ModelProto with our IR version and the default-domain opset. */
    public static ModelProto model(GraphProto graph) {
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("modelmux")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph)
                .build();
    }

    public static ValueInfoProto valueInfo(String name, DataType type, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (int i = 0; i < dims.length; i++) {
            TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
            if (dims[i] < 0) {
                d.setDimParam(i == 0 ? "batch" : "d" + i);
            } else {
                d.setDimValue(dims[i]);
            }
            shape.addDim(d);
        }
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(type.onnxElemType())
                                .setShape(shape)))
                .build();
    }

    /** Builder of Gemm/Relu MLPs. Weights are uniform in ±1/sqrt(fan-in), from a seeded generator. */
    public static final class Mlp {
        private int inputDim = 16;
        private int width = 32;
        private int depth = 1;
        private int outputDim = 4;
        private long seed = 42;
        private String inputName = "input";
        private String outputName = "output";
        private float[] inputScale;
        private boolean softmax;

        private Mlp() {}

        /** Multiplies the input by these per-feature factors first (a Mul node), e.g. to bring raw features to unit scale. */
        public Mlp inputScale(float... factors) {
            this.inputScale = factors.clone();
            return this;
        }

        /** Ends with a Softmax over the outputs, so they are probabilities that add up to 1. */
        public Mlp softmax(boolean v) {
            this.softmax = v;
            return this;
        }

        public Mlp inputDim(int v) {
            this.inputDim = positive("inputDim", v);
            return this;
        }

        /** Units in each hidden layer. */
        public Mlp width(int v) {
            this.width = positive("width", v);
            return this;
        }

        /** Number of hidden layers (each a Gemm followed by Relu); 0 makes a single Gemm. */
        public Mlp depth(int v) {
            if (v < 0) {
                throw new IllegalArgumentException("depth must be >= 0, was " + v);
            }
            this.depth = v;
            return this;
        }

        public Mlp outputDim(int v) {
            this.outputDim = positive("outputDim", v);
            return this;
        }

        public Mlp seed(long v) {
            this.seed = v;
            return this;
        }

        public Mlp inputName(String v) {
            this.inputName = v;
            return this;
        }

        public Mlp outputName(String v) {
            this.outputName = v;
            return this;
        }

        /** Picks the hidden width so that the weights total about {@code bytes} (at least width 1). */
        public Mlp weightBytes(long bytes) {
            // floats = in*w + w + (depth-1)*(w*w + w) + w*out + out; solve for w (depth >= 1).
            long floats = Math.max(1, bytes / 4);
            int d = Math.max(1, depth);
            double a = d - 1;
            double b = inputDim + outputDim + d;
            double c = outputDim - floats;
            double w = a == 0 ? -c / b : (-b + Math.sqrt(b * b - 4 * a * c)) / (2 * a);
            this.depth = d;
            this.width = (int) Math.max(1, Math.min(Integer.MAX_VALUE / 8, Math.round(w)));
            return this;
        }

        public int inputDim() {
            return inputDim;
        }

        public int outputDim() {
            return outputDim;
        }

        /** Exact weight bytes of the model this builder would write. */
        public long weightBytesTotal() {
            long floats;
            if (depth == 0) {
                floats = (long) inputDim * outputDim + outputDim;
            } else {
                floats = (long) inputDim * width
                        + width
                        + (long) (depth - 1) * ((long) width * width + width)
                        + (long) width * outputDim
                        + outputDim;
            }
            return floats * 4;
        }

        public ModelProto buildProto() {
            SplittableRandom random = new SplittableRandom(seed);
            GraphProto.Builder g = GraphProto.newBuilder().setName("mlp");
            g.addInput(valueInfo(inputName, DataType.FP32, -1, inputDim));
            g.addOutput(valueInfo(outputName, DataType.FP32, -1, outputDim));
            String x = inputName;
            if (inputScale != null) {
                if (inputScale.length != inputDim) {
                    throw new IllegalArgumentException(
                            "inputScale has " + inputScale.length + " factors for " + inputDim + " inputs");
                }
                ByteBuffer scale = ByteBuffer.allocate(inputDim * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : inputScale) {
                    scale.putFloat(f);
                }
                scale.flip();
                g.addInitializer(TensorProto.newBuilder()
                        .setName("input_scale")
                        .setDataType(DataType.FP32.onnxElemType())
                        .setRawData(ByteString.copyFrom(scale))
                        .addDims(inputDim));
                g.addNode(NodeProto.newBuilder()
                        .setOpType("Mul")
                        .setName("scale")
                        .addInput(x)
                        .addInput("input_scale")
                        .addOutput("scaled"));
                x = "scaled";
            }
            int fanIn = inputDim;
            for (int layer = 0; layer <= depth; layer++) {
                boolean last = layer == depth;
                int fanOut = last ? outputDim : width;
                String w = "W" + layer;
                String bias = "B" + layer;
                g.addInitializer(floatTensor(w, random, 1 / Math.sqrt(fanIn), fanIn, fanOut));
                g.addInitializer(floatTensor(bias, random, 0.1, fanOut));
                String gemmOut = last ? (softmax ? "logits" : outputName) : "gemm" + layer;
                g.addNode(NodeProto.newBuilder()
                        .setOpType("Gemm")
                        .setName("gemm" + layer)
                        .addInput(x)
                        .addInput(w)
                        .addInput(bias)
                        .addOutput(gemmOut)
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("alpha")
                                .setType(AttributeProto.AttributeType.FLOAT)
                                .setF(1f))
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("beta")
                                .setType(AttributeProto.AttributeType.FLOAT)
                                .setF(1f)));
                if (!last) {
                    String relu = "relu" + layer;
                    g.addNode(NodeProto.newBuilder()
                            .setOpType("Relu")
                            .setName(relu)
                            .addInput(gemmOut)
                            .addOutput(relu));
                    x = relu;
                }
                fanIn = fanOut;
            }
            if (softmax) {
                g.addNode(NodeProto.newBuilder()
                        .setOpType("Softmax")
                        .setName("softmax")
                        .addInput("logits")
                        .addOutput(outputName)
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("axis")
                                .setType(AttributeProto.AttributeType.INT)
                                .setI(-1)));
            }
            return model(g.build());
        }

        public byte[] build() {
            return buildProto().toByteArray();
        }

        private static TensorProto floatTensor(String name, SplittableRandom random, double scale, long... dims) {
            long n = 1;
            for (long d : dims) {
                n = Math.multiplyExact(n, d);
            }
            if (n * 4 > Integer.MAX_VALUE - 64) {
                throw new IllegalArgumentException("tensor " + name + " would exceed 2 GiB");
            }
            ByteBuffer buf = ByteBuffer.allocate((int) (n * 4)).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < n; i++) {
                buf.putFloat((float) ((random.nextDouble() * 2 - 1) * scale));
            }
            buf.flip();
            TensorProto.Builder t = TensorProto.newBuilder()
                    .setName(name)
                    .setDataType(DataType.FP32.onnxElemType())
                    .setRawData(ByteString.copyFrom(buf));
            for (long d : dims) {
                t.addDims(d);
            }
            return t.build();
        }

        private static int positive(String what, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(what + " must be > 0, was " + v);
            }
            return v;
        }
    }
}
