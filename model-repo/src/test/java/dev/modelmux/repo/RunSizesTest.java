package dev.modelmux.repo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.TensorProto;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The pre-scan's sizes of value-shaped outputs, computed from a run's inputs without running it. */
class RunSizesTest {
    private static final ScanLimits LIMITS = ScanLimits.defaults();

    /** Inputs given as values; shapes of value inputs are their lengths. */
    private static RunSizes.Inputs inputs(Map<String, double[]> values, Map<String, long[]> shapes) {
        return new RunSizes.Inputs() {
            @Override
            public Optional<double[]> values(String input) {
                return Optional.ofNullable(values.get(input));
            }

            @Override
            public Optional<long[]> shape(String input) {
                if (shapes.containsKey(input)) {
                    return Optional.of(shapes.get(input));
                }
                return Optional.ofNullable(values.get(input)).map(v -> new long[] {v.length});
            }
        };
    }

    private static RunSizes.Inputs shape(double... dims) {
        return inputs(Map.of("shape", dims), Map.of());
    }

    private static RunSizes sizes(byte[] model) throws ArtifactRejectedException {
        return OnnxInspector.inspect("m", model, LIMITS).runSizes();
    }

    private static RunSizes sizes(GraphProto.Builder g) throws ArtifactRejectedException {
        return sizes(OnnxModelBuilder.model(g.build()).toByteArray());
    }

    private static TensorProto int64s(String name, long... values) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE);
        t.addDims(values.length);
        for (long v : values) {
            t.addInt64Data(v);
        }
        return t.build();
    }

    private static NodeProto node(String op, String name, String output, String... inputs) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(name).addOutput(output);
        for (String in : inputs) {
            n.addInput(in);
        }
        return n.build();
    }

    /** A graph that ends in {@code ConstantOfShape(shapeTensor)} (FP32 ones) named "grow". */
    private static GraphProto.Builder growFrom(String shapeTensor) {
        return GraphProto.newBuilder()
                .setName("g")
                .addNode(node("ConstantOfShape", "grow", "output", shapeTensor))
                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.FP32, -1, -1));
    }

    @Test
    void constantOfShapeIsSizedFromTheShapeInputsValues() throws Exception {
        RunSizes sizes = sizes(ValueShapedModels.constantOfShape());
        assertThat(sizes.largest(shape(72000, 72000)))
                .contains(new RunSizes.Estimate("grow", "ConstantOfShape", 72000L * 72000L * 4));
        assertThat(sizes.largest(shape(0, 0))).contains(new RunSizes.Estimate("grow", "ConstantOfShape", 0));
        assertThat(sizes.largest(RunSizes.Inputs.NONE)).isEmpty();
        assertThat(sizes.largest(shape(-1, 5)))
                .as("a negative dim is the runtime's to refuse")
                .isEmpty();
        assertThat(sizes.unevaluated()).isEmpty();
    }

    @Test
    void expandBroadcastsTheDataShapeAndTileMultipliesIt() throws Exception {
        assertThat(sizes(ValueShapedModels.expand()).largest(shape(3, 5)))
                .contains(new RunSizes.Estimate("grow", "Expand", 15 * 4));
        assertThat(sizes(ValueShapedModels.tile()).largest(shape(100000, 100000)))
                .contains(new RunSizes.Estimate("grow", "Tile", 100000L * 100000L * 4));
    }

    @Test
    void productsPastTheLongRangeSaturate() throws Exception {
        assertThat(sizes(ValueShapedModels.constantOfShape()).largest(shape(1e15, 1e15)))
                .map(RunSizes.Estimate::bytes)
                .contains(Long.MAX_VALUE);
    }

    @Test
    void valuesAreTracedThroughConcatCastAndShapeOfAnInput() throws Exception {
        GraphProto.Builder g = growFrom("cast")
                .addInput(OnnxModelBuilder.valueInfo("rows", DataType.INT64, 1))
                .addInput(OnnxModelBuilder.valueInfo("x", DataType.FP32, -1))
                .addInitializer(int64s("seven", 7))
                .addNode(0, node("Shape", "shape_of_x", "xs", "x"))
                .addNode(
                        1,
                        node("Concat", "concat", "joined", "rows", "seven", "xs").toBuilder()
                                .addAttribute(AttributeProto.newBuilder()
                                        .setName("axis")
                                        .setType(AttributeProto.AttributeType.INT)
                                        .setI(0))
                                .build())
                .addNode(
                        2,
                        node("Cast", "cast", "cast", "joined").toBuilder()
                                .addAttribute(AttributeProto.newBuilder()
                                        .setName("to")
                                        .setType(AttributeProto.AttributeType.INT)
                                        .setI(TensorProto.DataType.INT64_VALUE))
                                .build());
        RunSizes sizes = sizes(g);
        assertThat(sizes.largest(inputs(Map.of("rows", new double[] {1000}), Map.of("x", new long[] {3}))))
                .map(RunSizes.Estimate::bytes)
                .contains(1000L * 7 * 3 * 4);
    }

    @Test
    void aShapeFixedByConstantsIsKnownWithoutInputs() throws Exception {
        GraphProto.Builder g = growFrom("fixed").addInitializer(int64s("fixed", 72000, 72000));
        assertThat(sizes(g).largest(RunSizes.Inputs.NONE))
                .map(RunSizes.Estimate::bytes)
                .contains(72000L * 72000L * 4);
    }

    @Test
    void aShapeComputedByArithmeticIsListedAsUnevaluated() throws Exception {
        GraphProto.Builder g = growFrom("sum")
                .addInput(OnnxModelBuilder.valueInfo("shape", DataType.INT64, 2))
                .addNode(0, node("Add", "add", "sum", "shape", "shape"));
        RunSizes sizes = sizes(g);
        assertThat(sizes.largest(shape(72000, 72000))).isEmpty();
        assertThat(sizes.unevaluated()).containsExactly("node 'grow' (ConstantOfShape)");
        assertThat(sizes.isEmpty()).isFalse();
    }

    @Test
    void rangeIsSizedFromItsScalars() throws Exception {
        GraphProto.Builder g = GraphProto.newBuilder()
                .setName("g")
                .addInput(OnnxModelBuilder.valueInfo("limit", DataType.INT64))
                .addInitializer(TensorProto.newBuilder()
                        .setName("zero")
                        .setDataType(TensorProto.DataType.INT64_VALUE)
                        .addInt64Data(0))
                .addInitializer(TensorProto.newBuilder()
                        .setName("two")
                        .setDataType(TensorProto.DataType.INT64_VALUE)
                        .addInt64Data(2))
                .addNode(node("Range", "range", "output", "zero", "limit", "two"))
                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.INT64, -1));
        assertThat(sizes(g).largest(inputs(Map.of("limit", new double[] {1_000_001}), Map.of())))
                .contains(new RunSizes.Estimate("range", "Range", 500_001L * 8));
    }

    @Test
    void resizeIsSizedFromSizesOrFromScalesTimesTheInputShape() throws Exception {
        GraphProto.Builder bySizes = GraphProto.newBuilder()
                .setName("g")
                .addInput(OnnxModelBuilder.valueInfo("x", DataType.FP32, -1, -1))
                .addInput(OnnxModelBuilder.valueInfo("sizes", DataType.INT64, 2))
                .addNode(node("Resize", "resize", "output", "x", "", "", "sizes"))
                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.FP32, -1, -1));
        assertThat(sizes(bySizes).largest(inputs(Map.of("sizes", new double[] {400, 500}), Map.of())))
                .contains(new RunSizes.Estimate("resize", "Resize", 400L * 500 * 4));
        GraphProto.Builder byScales = GraphProto.newBuilder()
                .setName("g")
                .addInput(OnnxModelBuilder.valueInfo("x", DataType.FP32, -1, -1))
                .addInput(OnnxModelBuilder.valueInfo("scales", DataType.FP32, 2))
                .addNode(node("Resize", "resize", "output", "x", "", "scales"))
                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.FP32, -1, -1));
        assertThat(sizes(byScales).largest(inputs(Map.of("scales", new double[] {10, 1000}), Map.of("x", new long[] {
                    2, 3
                }))))
                .contains(new RunSizes.Estimate("resize", "Resize", 20L * 3000 * 4));
    }

    @Test
    void aGraphWithoutValueShapedNodesHasNoSizes() throws Exception {
        RunSizes sizes = sizes(OnnxModelBuilder.mlp().build());
        assertThat(sizes.isEmpty()).isTrue();
        assertThat(sizes.largest(RunSizes.Inputs.NONE)).isEmpty();
    }
}
