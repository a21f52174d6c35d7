package dev.modelmux.repo;

import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.TensorProto;
import dev.modelmux.repo.onnx.TensorShapeProto;
import dev.modelmux.repo.onnx.TypeProto;
import dev.modelmux.repo.onnx.ValueInfoProto;
import java.util.Locale;

/**
 * Synthetic models whose output size is set by an input's values (see {@link RunSizes}), for tests of
 * the run limit: each takes an INT64 input {@code shape} of two elements and returns an FP32 output
 * {@code output} of that many rows and columns. Zeros (what a warm-up feeds) make an empty output.
 */
public final class ValueShapedModels {
    private ValueShapedModels() {}

    /** {@code output = ConstantOfShape(shape)}, filled with 1.0. */
    public static byte[] constantOfShape() {
        NodeProto node = NodeProto.newBuilder()
                .setOpType("ConstantOfShape")
                .setName("grow")
                .addInput("shape")
                .addOutput("output")
                .addAttribute(AttributeProto.newBuilder()
                        .setName("value")
                        .setType(AttributeProto.AttributeType.TENSOR)
                        .setT(TensorProto.newBuilder()
                                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                                .addDims(1)
                                .addFloatData(1f)))
                .build();
        return graph("constant_of_shape", node, null);
    }

    /** {@code output = Expand(one, shape)}, where {@code one} is a 1x1 FP32 initializer. */
    public static byte[] expand() {
        return twoInputs("Expand");
    }

    /** {@code output = Tile(one, shape)}: the 1x1 initializer repeated {@code shape} times per axis. */
    public static byte[] tile() {
        return twoInputs("Tile");
    }

    private static byte[] twoInputs(String op) {
        NodeProto node = NodeProto.newBuilder()
                .setOpType(op)
                .setName("grow")
                .addInput("one")
                .addInput("shape")
                .addOutput("output")
                .build();
        TensorProto one = TensorProto.newBuilder()
                .setName("one")
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(1)
                .addDims(1)
                .addFloatData(1f)
                .build();
        return graph(op.toLowerCase(Locale.ROOT), node, one);
    }

    private static byte[] graph(String name, NodeProto node, TensorProto initializer) {
        ValueInfoProto output = ValueInfoProto.newBuilder()
                .setName("output")
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(DataType.FP32.onnxElemType())
                                .setShape(TensorShapeProto.newBuilder()
                                        .addDim(TensorShapeProto.Dimension.newBuilder()
                                                .setDimParam("rows"))
                                        .addDim(TensorShapeProto.Dimension.newBuilder()
                                                .setDimParam("cols")))))
                .build();
        GraphProto.Builder g = GraphProto.newBuilder()
                .setName(name)
                .addNode(node)
                .addInput(OnnxModelBuilder.valueInfo("shape", DataType.INT64, 2))
                .addOutput(output);
        if (initializer != null) {
            g.addInitializer(initializer);
        }
        return OnnxModelBuilder.model(g.build()).toByteArray();
    }
}
