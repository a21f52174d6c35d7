package dev.modelmux.repo.internal;

import static dev.modelmux.repo.internal.ScanContext.quote;
import static dev.modelmux.repo.internal.TensorChecker.named;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.modelmux.repo.ArtifactRejectedException;
import dev.modelmux.repo.DataType;
import dev.modelmux.repo.OnnxInspector;
import dev.modelmux.repo.OnnxModelInfo;
import dev.modelmux.repo.ScanLimits;
import dev.modelmux.repo.TensorSpec;
import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.ModelProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.OperatorSetIdProto;
import dev.modelmux.repo.onnx.SparseTensorProto;
import dev.modelmux.repo.onnx.TensorProto;
import dev.modelmux.repo.onnx.TensorShapeProto;
import dev.modelmux.repo.onnx.TypeProto;
import dev.modelmux.repo.onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX pre-scan behind {@link OnnxInspector}: parses the protobuf without
 * copying tensor data, then walks every graph (subgraphs and model-local functions included)
 * checking domains, tensors, dims, node counts and nesting before ONNX Runtime sees the bytes.
 */
public final class OnnxPreScan {
    private final ScanContext ctx;
    private final TensorChecker tensors;
    private final LocalFunctions functions;

    private OnnxPreScan(ScanContext ctx, LocalFunctions functions) {
        this.ctx = ctx;
        this.tensors = new TensorChecker(ctx);
        this.functions = functions;
    }

    public static OnnxModelInfo inspect(String model, ByteBuffer bytes, ScanLimits limits)
            throws ArtifactRejectedException {
        ScanContext ctx = new ScanContext(model, limits);
        if (bytes == null || !bytes.hasRemaining()) {
            throw ctx.reject("the model file is empty");
        }
        ModelProto proto = parse(ctx, bytes);
        if (proto.getIrVersion() < 1) {
            throw ctx.reject("the file has no ir_version; it is not an ONNX model");
        }
        if (!proto.hasGraph()) {
            throw ctx.reject("the file has no graph; it is not an ONNX model");
        }
        LocalFunctions functions = LocalFunctions.of(ctx, proto.getFunctionsList());
        OnnxPreScan scan = new OnnxPreScan(ctx, functions);
        Map<String, Long> opsets = scan.opsets(proto.getOpsetImportList(), "the model");
        if (opsets.isEmpty()) {
            throw ctx.reject("the model imports no opset");
        }
        scan.graph(proto.getGraph(), 0);
        for (var f : proto.getFunctionsList()) {
            scan.opsets(f.getOpsetImportList(), "function " + quote(f.getName()));
            String where = "function " + quote(f.getName());
            for (AttributeProto a : f.getAttributeProtoList()) {
                scan.attribute(a, where, 0);
            }
            ctx.countNodes(f.getNodeCount());
            for (NodeProto n : f.getNodeList()) {
                scan.node(n, 0);
            }
        }
        functions.rejectCycles();
        GraphProto g = proto.getGraph();
        Set<String> initializers = new HashSet<>();
        g.getInitializerList().forEach(t -> initializers.add(t.getName()));
        g.getSparseInitializerList().forEach(s -> initializers.add(s.getValues().getName()));
        List<TensorSpec> inputs = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) {
            if (!initializers.contains(v.getName())) {
                inputs.add(scan.spec(v, "input"));
            }
        }
        List<TensorSpec> outputs = new ArrayList<>();
        for (ValueInfoProto v : g.getOutputList()) {
            outputs.add(scan.spec(v, "output"));
        }
        if (outputs.isEmpty()) {
            throw ctx.reject("the graph declares no outputs");
        }
        requireUnique(ctx, inputs, "input");
        requireUnique(ctx, outputs, "output");
        return new OnnxModelInfo(
                proto.getIrVersion(),
                opsets,
                inputs,
                outputs,
                ctx.tensorBytes(),
                (int) Math.min(Integer.MAX_VALUE, ctx.nodes()),
                scan.batchVariant,
                ValueShapedNodes.of(g));
    }

    private static ModelProto parse(ScanContext ctx, ByteBuffer bytes) throws ArtifactRejectedException {
        // An immutable ByteString view lets aliasing share raw_data with `bytes` instead of copying it.
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes.slice()).newCodedInput();
        in.enableAliasing(true);
        in.setRecursionLimit(Math.max(100, 4 * ctx.limits.maxGraphDepth() + 40));
        try {
            ModelProto proto = ModelProto.parseFrom(in);
            if (!in.isAtEnd()) {
                throw ctx.reject("the file is not a valid ONNX protobuf (trailing data)");
            }
            return proto;
        } catch (InvalidProtocolBufferException e) {
            String why = e.getMessage() == null ? "" : e.getMessage();
            if (why.contains("recursion")) {
                throw ctx.reject("the file nests messages too deeply to be parsed safely");
            }
            if (why.contains("truncated") || why.contains("ended unexpectedly")) {
                throw ctx.reject("the file is truncated or corrupt: it is not a valid ONNX protobuf");
            }
            throw ctx.reject("the file is not a valid ONNX protobuf (" + why + ")");
        } catch (IOException e) {
            throw ctx.reject("the file is not a valid ONNX protobuf");
        }
    }

    private Map<String, Long> opsets(List<OperatorSetIdProto> imports, String where) throws ArtifactRejectedException {
        Map<String, Long> out = new LinkedHashMap<>();
        for (OperatorSetIdProto o : imports) {
            String domain = o.getDomain();
            if (!ctx.limits.allowedDomains().contains(domain) && !functions.definesDomain(domain)) {
                throw ctx.reject(where + " imports operator domain " + quote(domain)
                        + ": custom operators are not supported (only the built-in domains of ONNX Runtime)");
            }
            if (o.getVersion() < 1) {
                throw ctx.reject(
                        where + " imports domain " + quote(domain) + " with invalid opset version " + o.getVersion());
            }
            if (out.put(domain, o.getVersion()) != null) {
                throw ctx.reject(where + " imports domain " + quote(domain) + " twice");
            }
        }
        return out;
    }

    private void graph(GraphProto g, int depth) throws ArtifactRejectedException {
        if (depth > ctx.limits.maxGraphDepth()) {
            throw ctx.reject("subgraphs are nested more than " + ctx.limits.maxGraphDepth() + " levels deep");
        }
        ctx.countNodes(g.getNodeCount());
        for (TensorProto t : g.getInitializerList()) {
            ctx.addTensorBytes(tensors.check(t, named("initializer", t.getName())));
        }
        for (SparseTensorProto s : g.getSparseInitializerList()) {
            ctx.addTensorBytes(tensors.checkSparse(
                    s, named("sparse initializer", s.getValues().getName())));
        }
        for (ValueInfoProto v : g.getInputList()) {
            dims(v.getType(), named("input", v.getName()));
        }
        for (ValueInfoProto v : g.getOutputList()) {
            dims(v.getType(), named("output", v.getName()));
        }
        for (ValueInfoProto v : g.getValueInfoList()) {
            dims(v.getType(), named("value", v.getName()));
        }
        for (NodeProto n : g.getNodeList()) {
            node(n, depth);
        }
    }

    /** Whether a node quantizes activations dynamically (see {@link OnnxModelInfo#batchVariant()}). */
    private boolean batchVariant;

    private void node(NodeProto n, int depth) throws ArtifactRejectedException {
        if (OnnxModelInfo.BATCH_VARIANT_OPS.contains(n.getOpType())) {
            batchVariant = true;
        }
        String where = named("node", n.getName()) + " (" + quote(n.getOpType()) + ")";
        String domain = n.getDomain();
        if (!ctx.limits.allowedDomains().contains(domain)
                && !functions.defines(domain, n.getOpType(), n.getOverload())) {
            throw ctx.reject(where + " uses operator domain " + quote(domain)
                    + ": custom operators are not supported (only the built-in domains of ONNX Runtime)");
        }
        for (AttributeProto a : n.getAttributeList()) {
            attribute(a, where, depth);
        }
    }

    private void attribute(AttributeProto a, String where, int depth) throws ArtifactRejectedException {
        String at = where + " attribute " + quote(a.getName());
        if (a.hasT()) {
            ctx.addTensorBytes(tensors.check(a.getT(), at));
        }
        for (TensorProto t : a.getTensorsList()) {
            ctx.addTensorBytes(tensors.check(t, at));
        }
        if (a.hasSparseTensor()) {
            ctx.addTensorBytes(tensors.checkSparse(a.getSparseTensor(), at));
        }
        for (SparseTensorProto s : a.getSparseTensorsList()) {
            ctx.addTensorBytes(tensors.checkSparse(s, at));
        }
        if (a.hasG()) {
            graph(a.getG(), depth + 1);
        }
        for (GraphProto g : a.getGraphsList()) {
            graph(g, depth + 1);
        }
    }

    /** Checks every dim in a (possibly nested) type; symbolic and missing dims are fine. */
    private void dims(TypeProto type, String where) throws ArtifactRejectedException {
        switch (type.getValueCase()) {
            case TENSOR_TYPE -> shapeDims(type.getTensorType().getShape(), where);
            case SPARSE_TENSOR_TYPE -> shapeDims(type.getSparseTensorType().getShape(), where);
            case SEQUENCE_TYPE -> dims(type.getSequenceType().getElemType(), where);
            case OPTIONAL_TYPE -> dims(type.getOptionalType().getElemType(), where);
            case MAP_TYPE -> dims(type.getMapType().getValueType(), where);
            default -> {}
        }
    }

    private void shapeDims(TensorShapeProto shape, String where) throws ArtifactRejectedException {
        for (TensorShapeProto.Dimension d : shape.getDimList()) {
            if (d.hasDimValue()) {
                tensors.checkDim(d.getDimValue(), where);
            }
        }
    }

    private TensorSpec spec(ValueInfoProto v, String kind) throws ArtifactRejectedException {
        String where = kind + " " + quote(v.getName());
        if (v.getName().isEmpty()) {
            throw ctx.reject("the graph has an " + kind + " without a name");
        }
        TypeProto type = v.getType();
        if (type.getValueCase() != TypeProto.ValueCase.TENSOR_TYPE) {
            String what = type.getValueCase() == TypeProto.ValueCase.VALUE_NOT_SET
                    ? "has no type"
                    : "is a "
                            + type.getValueCase()
                                    .name()
                                    .toLowerCase(Locale.ROOT)
                                    .replace("_type", "");
            throw ctx.reject(where + " " + what + "; only dense tensor inputs and outputs can be served");
        }
        TypeProto.Tensor t = type.getTensorType();
        DataType dataType = DataType.fromOnnx(t.getElemType())
                .orElseThrow(() -> ctx.reject(where + " has element type " + OnnxElementType.describe(t.getElemType())
                        + ", which modelmux cannot serve"));
        if (!t.hasShape()) {
            throw ctx.reject(where + " declares no shape; modelmux needs at least its rank");
        }
        long[] dims = new long[t.getShape().getDimCount()];
        for (int i = 0; i < dims.length; i++) {
            TensorShapeProto.Dimension d = t.getShape().getDim(i);
            dims[i] = d.hasDimValue() ? d.getDimValue() : -1;
        }
        return new TensorSpec(v.getName(), dataType, dims);
    }

    private static void requireUnique(ScanContext ctx, List<TensorSpec> specs, String kind)
            throws ArtifactRejectedException {
        Set<String> seen = new HashSet<>();
        for (TensorSpec s : specs) {
            if (!seen.add(s.name())) {
                throw ctx.reject("the graph declares " + kind + " " + quote(s.name()) + " twice");
            }
        }
    }
}
