package dev.modelmux.repo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.CodedOutputStream;
import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.FunctionProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.ModelProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.OperatorSetIdProto;
import dev.modelmux.repo.onnx.SparseTensorProto;
import dev.modelmux.repo.onnx.StringStringEntryProto;
import dev.modelmux.repo.onnx.TensorProto;
import dev.modelmux.repo.onnx.TensorShapeProto;
import dev.modelmux.repo.onnx.TypeProto;
import dev.modelmux.repo.onnx.ValueInfoProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class OnnxInspectorTest {
    private static final ScanLimits LIMITS = ScanLimits.defaults();

    // ---- models that pass, and ONNX Runtime loads them ----

    @Test
    void mlpPassesWithItsSignatureAndSizes() throws Exception {
        OnnxModelBuilder.Mlp mlp =
                OnnxModelBuilder.mlp().inputDim(16).width(32).depth(2).outputDim(4);
        byte[] bytes = mlp.build();

        OnnxModelInfo info = OnnxInspector.inspect("mlp", bytes, LIMITS);

        assertThat(info.irVersion()).isEqualTo(OnnxModelBuilder.IR_VERSION);
        assertThat(info.opsetImports()).isEqualTo(Map.of("", (long) OnnxModelBuilder.OPSET));
        assertThat(info.inputs()).containsExactly(new TensorSpec("input", DataType.FP32, new long[] {-1, 16}));
        assertThat(info.outputs()).containsExactly(new TensorSpec("output", DataType.FP32, new long[] {-1, 4}));
        assertThat(info.initializerBytes()).isEqualTo(mlp.weightBytesTotal());
        assertThat(info.batchVariant()).isFalse();
        assertThat(info.nodeCount()).isEqualTo(5); // 3 Gemm + 2 Relu
        assertLoadsInOrt(bytes);
    }

    @ParameterizedTest
    @EnumSource(DataType.class)
    void identityOfEveryDataTypePasses(DataType type) throws Exception {
        byte[] bytes = OnnxModelBuilder.identity(type, -1, 3);

        OnnxModelInfo info = OnnxInspector.inspect("id", bytes, LIMITS);

        assertThat(info.inputs()).containsExactly(new TensorSpec("input", type, new long[] {-1, 3}));
        assertThat(info.outputs()).containsExactly(new TensorSpec("output", type, new long[] {-1, 3}));
        assertThat(info.initializerBytes()).isZero();
        assertLoadsInOrt(bytes);
    }

    @Test
    void initializersListedAsGraphInputsAreNotInputs() throws Exception {
        ModelProto m = mlpProto();
        GraphProto g = m.getGraph().toBuilder()
                .addInput(OnnxModelBuilder.valueInfo("W0", DataType.FP32, 16, 8))
                .build();

        OnnxModelInfo info =
                OnnxInspector.inspect("m", m.toBuilder().setGraph(g).build().toByteArray(), LIMITS);

        assertThat(info.inputs()).extracting(TensorSpec::name).containsExactly("input");
    }

    @Test
    void symbolicAndUnknownDimsAreVariable() throws Exception {
        TensorShapeProto shape = TensorShapeProto.newBuilder()
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimParam("batch"))
                .addDim(TensorShapeProto.Dimension.newBuilder()) // neither value nor param
                .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(7))
                .build();
        ModelProto m = withGraph(
                g -> g.setInput(0, tensorValue("input", DataType.FP32, shape))
                        .setOutput(0, tensorValue("output", DataType.FP32, shape)),
                identityProto(DataType.FP32));

        OnnxModelInfo info = OnnxInspector.inspect("m", m.toByteArray(), LIMITS);

        assertThat(info.inputs().get(0).dims()).containsExactly(-1, -1, 7);
        assertLoadsInOrt(m.toByteArray());
    }

    @Test
    void nestedIfWithinTheDepthLimitPassesAndLoads() throws Exception {
        byte[] bytes = nestedIf(3).toByteArray();

        OnnxModelInfo info = OnnxInspector.inspect("if", bytes, LIMITS);

        assertThat(info.inputs()).extracting(TensorSpec::name).containsExactly("cond", "x");
        assertThat(info.nodeCount()).isEqualTo(1 + 2 + 4 + 8); // three levels of If, Identity leaves
        assertLoadsInOrt(bytes);
    }

    @Test
    void modelLocalFunctionInItsOwnDomainPassesAndLoads() throws Exception {
        ModelProto m = withLocalFunction("local.fn", "Double", "local.fn", "Double");

        OnnxModelInfo info = OnnxInspector.inspect("fn", m.toByteArray(), LIMITS);

        assertThat(info.opsetImports()).containsEntry("local.fn", 1L);
        assertLoadsInOrt(m.toByteArray());
    }

    @Test
    void constantNodesWithTypedDataPass() throws Exception {
        TensorProto c = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(2)
                .addInt64Data(1)
                .addInt64Data(2)
                .build();
        ModelProto m = withConstant(c);

        OnnxModelInfo info = OnnxInspector.inspect("c", m.toByteArray(), LIMITS);

        assertThat(info.initializerBytes()).isEqualTo(16);
        assertLoadsInOrt(m.toByteArray());
    }

    @Test
    void realMiniLmPasses() throws Exception {
        String dir = System.getProperty("modelmux.test.models");
        assumeTrue(dir != null, "modelmux.test.models is not set");
        Path file = Path.of(dir, "all-minilm-l6-v2-q.onnx");
        assumeTrue(Files.isRegularFile(file), "MiniLM-q was not unpacked");

        OnnxModelInfo info = OnnxInspector.inspect("minilm-q", Files.readAllBytes(file), LIMITS);

        assertThat(info.inputs())
                .extracting(TensorSpec::name)
                .containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
        assertThat(info.inputs()).allSatisfy(t -> {
            assertThat(t.type()).isEqualTo(DataType.INT64);
            assertThat(t.dims()).containsExactly(-1, -1);
        });
        assertThat(info.outputs()).isNotEmpty();
        assertThat(info.outputs().get(0).type()).isEqualTo(DataType.FP32);
        assertThat(info.initializerBytes()).isBetween(10L << 20, 30L << 20);
        assertThat(info.nodeCount()).isGreaterThan(100);
        // Dynamically quantized: its batched outputs depend on batch-mates (the loader warns).
        assertThat(info.batchVariant()).isTrue();
    }

    // ---- files that are not ONNX models ----

    @Test
    void emptyFileIsRejected() {
        assertRejected(new byte[0], "model 'bad': the model file is empty");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void randomBytesAreRejected(int seed) {
        byte[] bytes = new byte[4096];
        new SplittableRandom(seed).nextBytes(bytes);
        assertThatThrownBy(() -> OnnxInspector.inspect("bad", bytes, LIMITS))
                .isInstanceOf(ArtifactRejectedException.class)
                .hasMessageStartingWith("model 'bad': ")
                .satisfies(e -> assertThat(e.getMessage())
                        .containsAnyOf(
                                "not a valid ONNX protobuf",
                                "truncated or corrupt",
                                "no ir_version",
                                "no graph",
                                "not an ONNX model"));
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 10, 100, 1000})
    void truncatedFileIsRejected(int keep) {
        byte[] full = OnnxModelBuilder.mlp().width(64).build();
        assertRejected(Arrays.copyOf(full, full.length - keep), "truncated or corrupt");
    }

    @Test
    void modelWithoutGraphIsRejected() {
        ModelProto m = mlpProto().toBuilder().clearGraph().build();
        assertRejected(m.toByteArray(), "has no graph");
    }

    @Test
    void modelWithoutOpsetIsRejected() {
        ModelProto m = mlpProto().toBuilder().clearOpsetImport().build();
        assertRejected(m.toByteArray(), "imports no opset");
    }

    @Test
    void graphWithoutOutputsIsRejected() {
        assertRejected(withGraph(GraphProto.Builder::clearOutput, mlpProto()).toByteArray(), "declares no outputs");
    }

    // ---- custom operators ----

    @Test
    void customDomainOpsetImportIsRejected() {
        ModelProto m = mlpProto().toBuilder()
                .addOpsetImport(
                        OperatorSetIdProto.newBuilder().setDomain("com.evil").setVersion(1))
                .build();
        assertRejected(m.toByteArray(), "imports operator domain 'com.evil': custom operators are not supported");
    }

    @Test
    void customDomainNodeIsRejectedNamingTheNode() {
        ModelProto m = withGraph(
                g -> g.setNode(0, g.getNode(0).toBuilder().setDomain("com.evil")), identityProto(DataType.FP32));
        assertRejected(m.toByteArray(), "node 'id' ('Identity') uses operator domain 'com.evil'");
    }

    @Test
    void customDomainInsideASubgraphIsRejected() {
        ModelProto m = nestedIf(2);
        GraphProto then = m.getGraph().getNode(0).getAttribute(0).getG();
        GraphProto evil = then.toBuilder()
                .setNode(0, then.getNode(0).toBuilder().setDomain("com.evil"))
                .build();
        NodeProto node = m.getGraph().getNode(0).toBuilder()
                .setAttribute(
                        0, m.getGraph().getNode(0).getAttribute(0).toBuilder().setG(evil))
                .build();
        assertRejected(withGraph(g -> g.setNode(0, node), m).toByteArray(), "uses operator domain 'com.evil'");
    }

    @Test
    void nodeInAFunctionDomainThatIsNotDefinedIsRejected() {
        ModelProto m = withLocalFunction("local.fn", "Double", "local.fn", "Triple");
        assertRejected(m.toByteArray(), "uses operator domain 'local.fn'");
    }

    @Test
    void customOpInsideAFunctionBodyIsRejected() {
        ModelProto m = withLocalFunction("local.fn", "Double", "local.fn", "Double");
        FunctionProto f = m.getFunctions(0);
        FunctionProto evil = f.toBuilder()
                .setNode(0, f.getNode(0).toBuilder().setDomain("com.evil"))
                .build();
        assertRejected(m.toBuilder().setFunctions(0, evil).build().toByteArray(), "uses operator domain 'com.evil'");
    }

    @Test
    void recursiveFunctionIsRejected() {
        ModelProto m = withLocalFunction("local.fn", "Double", "local.fn", "Double");
        FunctionProto f = m.getFunctions(0);
        FunctionProto recursive = f.toBuilder()
                .setNode(
                        0,
                        NodeProto.newBuilder()
                                .setOpType("Double")
                                .setDomain("local.fn")
                                .addInput("x")
                                .addOutput("y"))
                .build();
        assertRejected(m.toBuilder().setFunctions(0, recursive).build().toByteArray(), "calls itself");
    }

    // ---- tensors whose declared size disagrees with their data ----

    @Test
    void rawDataShorterThanDeclaredIsRejected() {
        ModelProto m = mutateInitializer(0, t -> t.setRawData(t.getRawData().substring(0, 40)));
        assertRejected(
                m.toByteArray(),
                "initializer 'W0' declares 512 FLOAT elements (2048 bytes) but holds 40 bytes of data");
    }

    @Test
    void dimsLargerThanTheDataAreRejected() {
        ModelProto m = mutateInitializer(0, t -> t.setDims(0, 1000));
        assertRejected(m.toByteArray(), "initializer 'W0' declares 32000 FLOAT elements");
    }

    @Test
    void typedDataCountMismatchIsRejected() {
        ModelProto m =
                mutateInitializer(1, t -> t.clearRawData().addFloatData(1f).addFloatData(2f));
        assertRejected(m.toByteArray(), "initializer 'B0' declares 32 FLOAT elements but holds 2 values");
    }

    @Test
    void typedDataInTheWrongFieldIsRejected() {
        ModelProto m = mutateInitializer(1, t -> t.clearRawData().addInt64Data(1));
        assertRejected(m.toByteArray(), "holds data in the int64_data field, which does not match its type");
    }

    @Test
    void tensorWithoutDataIsRejected() {
        ModelProto m = mutateInitializer(1, TensorProto.Builder::clearRawData);
        assertRejected(m.toByteArray(), "declares 32 FLOAT elements but holds 0 values");
    }

    @Test
    void unknownTensorDataTypeIsRejected() {
        ModelProto m = mutateInitializer(1, t -> t.setDataType(99));
        assertRejected(m.toByteArray(), "initializer 'B0' has unknown data type 99");
    }

    @Test
    void constantNodeTensorMismatchIsRejectedNamingTheNode() {
        TensorProto c = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(3)
                .addInt64Data(1)
                .build();
        assertRejected(
                withConstant(c).toByteArray(), "node 'const' ('Constant') attribute 'value' declares 3 INT64 elements");
    }

    @Test
    void sparseInitializerWithAbsurdDenseSizeIsRejected() {
        TensorProto values = TensorProto.newBuilder()
                .setName("S")
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(1)
                .addFloatData(1f)
                .build();
        TensorProto indices = TensorProto.newBuilder()
                .setDataType(TensorProto.DataType.INT64_VALUE)
                .addDims(1)
                .addInt64Data(0)
                .build();
        SparseTensorProto s = SparseTensorProto.newBuilder()
                .setValues(values)
                .setIndices(indices)
                .addDims(1L << 20)
                .addDims(1L << 20)
                .build();
        ModelProto m = withGraph(g -> g.addSparseInitializer(s), mlpProto());
        assertRejected(m.toByteArray(), "sparse initializer 'S' declares 4398046511104 bytes, above the limit");
    }

    @Test
    void negativeInitializerDimIsRejected() {
        assertRejected(
                mutateInitializer(1, t -> t.setDims(0, -32)).toByteArray(),
                "initializer 'B0' has a negative dim (-32)");
    }

    @Test
    void absurdInitializerDimIsRejected() {
        assertRejected(
                mutateInitializer(1, t -> t.setDims(0, 1L << 40)).toByteArray(),
                "initializer 'B0' has dim 1099511627776, above the limit of 2147483648");
    }

    @Test
    void overflowingShapeIsRejected() {
        long big = 1L << 31;
        assertRejected(
                mutateInitializer(
                                1, t -> t.clearDims().addDims(big).addDims(big).addDims(big))
                        .toByteArray(),
                "initializer 'B0': the product of its dims overflows");
    }

    @Test
    void tensorAboveTheSizeLimitIsRejected() {
        ScanLimits small = new ScanLimits(1L << 31, 1000, 1000, 4, ScanLimits.BUILT_IN_DOMAINS);
        assertThatThrownBy(() -> OnnxInspector.inspect("m", mlpProto().toByteArray(), small))
                .hasMessage(
                        "model 'm': initializer 'W0' declares 2048 bytes, above the limit of 1000 bytes per tensor");
    }

    // ---- external data ----

    @ParameterizedTest
    @ValueSource(
            strings = {
                "/etc/passwd",
                "../secret.bin",
                "weights/../../x.bin",
                "C:\\w.bin",
                "file:///w.bin",
                "..\\w.bin",
                "~/w.bin",
                ""
            })
    void externalDataOutsideTheVersionFolderIsRejected(String location) {
        ModelProto m = mutateInitializer(
                0,
                t -> t.clearRawData()
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", location))
                        .addExternalData(entry("offset", "0")));
        assertRejected(m.toByteArray(), "initializer 'W0' points to external data outside the version folder")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("passwd", "secret", "x.bin", "w.bin"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"weights.bin", "data/weights.bin", "./weights.bin"})
    void externalDataInsideTheFolderIsNotSupportedYet(String location) {
        ModelProto m = mutateInitializer(
                0,
                t -> t.clearRawData()
                        .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                        .addExternalData(entry("location", location)));
        assertRejected(
                m.toByteArray(),
                "keeps its data in an external file; external data is not supported yet:"
                        + " weights must be embedded in the model file");
    }

    @Test
    void externalDataWithoutLocationIsRejected() {
        ModelProto m = mutateInitializer(0, t -> t.clearRawData().setDataLocation(TensorProto.DataLocation.EXTERNAL));
        assertRejected(m.toByteArray(), "uses external data without a location");
    }

    @Test
    void externalDataEntriesWithoutTheLocationFlagAreStillExternal() {
        ModelProto m = mutateInitializer(0, t -> t.addExternalData(entry("location", "/dev/zero")));
        assertRejected(m.toByteArray(), "outside the version folder");
    }

    // ---- graph shape, size and nesting ----

    @Test
    void negativeGraphInputDimIsRejected() {
        ModelProto m = withGraph(g -> g.setInput(0, tensorValue("input", DataType.FP32, shape(-5, 16))), mlpProto());
        assertRejected(m.toByteArray(), "input 'input' has a negative dim (-5)");
    }

    @Test
    void absurdGraphOutputDimIsRejected() {
        ModelProto m =
                withGraph(g -> g.setOutput(0, tensorValue("output", DataType.FP32, shape(1, 1L << 50))), mlpProto());
        assertRejected(m.toByteArray(), "output 'output' has dim 1125899906842624, above the limit");
    }

    @Test
    void tooManyNodesAreRejected() {
        ScanLimits few = new ScanLimits(1L << 31, 1L << 30, 4, 4, ScanLimits.BUILT_IN_DOMAINS);
        byte[] bytes = OnnxModelBuilder.mlp().depth(2).build(); // 5 nodes
        assertThatThrownBy(() -> OnnxInspector.inspect("m", bytes, few))
                .hasMessage("model 'm': the graph has more than 4 nodes");
    }

    @Test
    void nodesInSubgraphsCountTowardsTheLimit() {
        ScanLimits few = new ScanLimits(1L << 31, 1L << 30, 10, 8, ScanLimits.BUILT_IN_DOMAINS);
        assertThatThrownBy(() -> OnnxInspector.inspect("m", nestedIf(3).toByteArray(), few))
                .hasMessage("model 'm': the graph has more than 10 nodes");
    }

    @Test
    void subgraphsNestedTooDeeplyAreRejected() {
        ScanLimits shallow = new ScanLimits(1L << 31, 1L << 30, 1_000_000, 2, ScanLimits.BUILT_IN_DOMAINS);
        assertThatThrownBy(() -> OnnxInspector.inspect("m", nestedIf(3).toByteArray(), shallow))
                .hasMessage("model 'm': subgraphs are nested more than 2 levels deep");
    }

    @Test
    void extremeNestingIsRejectedWithoutAStackOverflow() throws Exception {
        // Hand-encoded: protobuf-java itself cannot serialise a message nested this deeply.
        byte[] graph = new byte[0];
        for (int i = 0; i < 5000; i++) {
            graph = field(1, field(5, field(6, graph))); // GraphProto.node -> NodeProto.attribute -> AttributeProto.g
        }
        byte[] model = concat(new byte[] {0x08, 0x08}, field(7, graph)); // ir_version 8, graph
        assertRejected(model, "nests messages too deeply");
    }

    // ---- inputs and outputs the server cannot serve ----

    @Test
    void unsupportedElementTypeIsRejected() {
        ModelProto m = withGraph(
                g -> g.setInput(
                        0,
                        ValueInfoProto.newBuilder()
                                .setName("input")
                                .setType(TypeProto.newBuilder()
                                        .setTensorType(TypeProto.Tensor.newBuilder()
                                                .setElemType(TensorProto.DataType.COMPLEX64_VALUE)
                                                .setShape(shape(1))))),
                identityProto(DataType.FP32));
        assertRejected(m.toByteArray(), "input 'input' has element type COMPLEX64, which modelmux cannot serve");
    }

    @Test
    void sequenceInputIsRejected() {
        TypeProto seq = TypeProto.newBuilder()
                .setSequenceType(TypeProto.Sequence.newBuilder()
                        .setElemType(TypeProto.newBuilder()
                                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1))))
                .build();
        ModelProto m = withGraph(
                g -> g.setInput(0, ValueInfoProto.newBuilder().setName("input").setType(seq)),
                identityProto(DataType.FP32));
        assertRejected(
                m.toByteArray(), "input 'input' is a sequence; only dense tensor inputs and outputs can be served");
    }

    @Test
    void inputWithoutShapeIsRejected() {
        ModelProto m = withGraph(
                g -> g.setInput(
                        0,
                        ValueInfoProto.newBuilder()
                                .setName("input")
                                .setType(TypeProto.newBuilder()
                                        .setTensorType(
                                                TypeProto.Tensor.newBuilder().setElemType(1)))),
                identityProto(DataType.FP32));
        assertRejected(m.toByteArray(), "input 'input' declares no shape");
    }

    @Test
    void untrustedNamesAreSanitisedInMessages() {
        ModelProto m = mutateInitializer(1, t -> t.setName("B0\n\u0007evil").setDims(0, -1));
        assertRejected(m.toByteArray(), "initializer 'B0??evil' has a negative dim");
    }

    // ---- helpers ----

    private static AbstractThrowableAssert<?, ? extends Throwable> assertRejected(byte[] bytes, String message) {
        return assertThatThrownBy(() -> OnnxInspector.inspect("bad", bytes, LIMITS))
                .isInstanceOf(ArtifactRejectedException.class)
                .hasMessageStartingWith("model 'bad': ")
                .hasMessageContaining(message);
    }

    private static void assertLoadsInOrt(byte[] bytes) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(bytes, options)) {
            assertThat(session.getOutputNames()).isNotEmpty();
        }
    }

    private static ModelProto mlpProto() {
        return OnnxModelBuilder.mlp()
                .inputDim(16)
                .width(32)
                .depth(1)
                .outputDim(4)
                .buildProto();
    }

    private static ModelProto identityProto(DataType type) {
        try {
            return ModelProto.parseFrom(OnnxModelBuilder.identity(type, -1, 3));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static ModelProto withGraph(UnaryOperator<GraphProto.Builder> change, ModelProto m) {
        return m.toBuilder().setGraph(change.apply(m.getGraph().toBuilder())).build();
    }

    private static ModelProto mutateInitializer(int index, UnaryOperator<TensorProto.Builder> change) {
        ModelProto m = mlpProto();
        return withGraph(g -> g.setInitializer(index, change.apply(g.getInitializer(index).toBuilder())), m);
    }

    /** Identity model whose output is a Constant node's tensor instead of the input. */
    private static ModelProto withConstant(TensorProto value) {
        GraphProto g = GraphProto.newBuilder()
                .setName("c")
                .addNode(NodeProto.newBuilder()
                        .setOpType("Constant")
                        .setName("const")
                        .addOutput("output")
                        .addAttribute(AttributeProto.newBuilder()
                                .setName("value")
                                .setType(AttributeProto.AttributeType.TENSOR)
                                .setT(value)))
                .addOutput(OnnxModelBuilder.valueInfo(
                        "output",
                        DataType.INT64,
                        value.getDimsList().stream().mapToLong(Long::longValue).toArray()))
                .build();
        return OnnxModelBuilder.model(g);
    }

    private static ModelProto withLocalFunction(String fnDomain, String fnName, String callDomain, String callName) {
        FunctionProto f = FunctionProto.newBuilder()
                .setDomain(fnDomain)
                .setName(fnName)
                .addInput("x")
                .addOutput("y")
                .addNode(NodeProto.newBuilder()
                        .setOpType("Add")
                        .addInput("x")
                        .addInput("x")
                        .addOutput("y"))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OnnxModelBuilder.OPSET))
                .build();
        GraphProto g = GraphProto.newBuilder()
                .setName("f")
                .addNode(NodeProto.newBuilder()
                        .setOpType(callName)
                        .setDomain(callDomain)
                        .setName("call")
                        .addInput("input")
                        .addOutput("output"))
                .addInput(OnnxModelBuilder.valueInfo("input", DataType.FP32, -1, 3))
                .addOutput(OnnxModelBuilder.valueInfo("output", DataType.FP32, -1, 3))
                .build();
        return OnnxModelBuilder.model(g).toBuilder()
                .addOpsetImport(
                        OperatorSetIdProto.newBuilder().setDomain(fnDomain).setVersion(1))
                .addFunctions(f)
                .build();
    }

    /** If nodes nested {@code depth} levels (both branches), Identity(x) at the leaves. */
    private static ModelProto nestedIf(int depth) {
        int[] counter = {0};
        GraphProto.Builder g = GraphProto.newBuilder()
                .setName("main")
                .addInput(OnnxModelBuilder.valueInfo("cond", DataType.BOOL))
                .addInput(OnnxModelBuilder.valueInfo("x", DataType.FP32, 2))
                .addOutput(OnnxModelBuilder.valueInfo("y", DataType.FP32, 2));
        g.addNode(ifNode("y", depth, counter));
        return OnnxModelBuilder.model(g.build());
    }

    private static NodeProto ifNode(String out, int levels, int[] counter) {
        return NodeProto.newBuilder()
                .setOpType("If")
                .setName("if" + counter[0]++)
                .addInput("cond")
                .addOutput(out)
                .addAttribute(AttributeProto.newBuilder()
                        .setName("then_branch")
                        .setType(AttributeProto.AttributeType.GRAPH)
                        .setG(branch(levels - 1, counter)))
                .addAttribute(AttributeProto.newBuilder()
                        .setName("else_branch")
                        .setType(AttributeProto.AttributeType.GRAPH)
                        .setG(branch(levels - 1, counter)))
                .build();
    }

    private static GraphProto branch(int levels, int[] counter) {
        String out = "v" + counter[0]++;
        NodeProto body = levels == 0
                ? NodeProto.newBuilder()
                        .setOpType("Identity")
                        .setName("id" + counter[0]++)
                        .addInput("x")
                        .addOutput(out)
                        .build()
                : ifNode(out, levels, counter);
        return GraphProto.newBuilder()
                .setName("g" + counter[0]++)
                .addNode(body)
                .addOutput(OnnxModelBuilder.valueInfo(out, DataType.FP32, 2))
                .build();
    }

    private static TensorShapeProto shape(long... dims) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (long d : dims) {
            s.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(d));
        }
        return s.build();
    }

    private static ValueInfoProto tensorValue(String name, DataType type, TensorShapeProto shape) {
        return ValueInfoProto.newBuilder()
                .setName(name)
                .setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder()
                                .setElemType(type.onnxElemType())
                                .setShape(shape)))
                .build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /** A length-delimited protobuf field. */
    private static byte[] field(int number, byte[] payload) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 8);
        CodedOutputStream c = CodedOutputStream.newInstance(out);
        c.writeByteArray(number, payload);
        c.flush();
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
