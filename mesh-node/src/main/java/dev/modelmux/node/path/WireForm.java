package dev.modelmux.node.path;

import com.google.protobuf.ByteString;
import dev.modelmux.gpu.InferenceResult;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.oip.InferParameter;
import dev.modelmux.node.oip.ModelInferRequest;
import dev.modelmux.node.oip.ModelInferResponse;
import dev.modelmux.node.tensors.Codecs;
import dev.modelmux.node.tensors.Shapes;
import dev.modelmux.repo.DataType;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/** A request and a response in the form they cross between nodes: the gRPC messages of the protocol. */
public final class WireForm {
    private WireForm() {}

    /** The request in wire form: as it arrived over gRPC, or built (raw contents) from a REST request. */
    public static ModelInferRequest toWire(InferRequest req) {
        if (req.wire() != null) {
            return req.wire();
        }
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder()
                .setModelName(req.model())
                .setModelVersion(req.version())
                .setId(req.id());
        for (TensorData t : req.inputs()) {
            ModelInferRequest.InferInputTensor.Builder in = ModelInferRequest.InferInputTensor.newBuilder()
                    .setName(t.name())
                    .setDatatype(t.type().protocolName());
            for (long d : t.shape()) {
                in.addShape(d);
            }
            b.addInputs(in);
            b.addRawInputContents(
                    t.type() == DataType.BYTES
                            ? ByteString.copyFrom(Codecs.joinLengthPrefixed(t.strings()))
                            : ByteString.copyFrom(t.raw().duplicate()));
        }
        for (String o : req.outputs()) {
            ModelInferRequest.InferRequestedOutputTensor.Builder out =
                    ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName(o);
            Integer classes = req.classifications().get(o);
            if (classes != null) {
                out.putParameters(
                        "classification",
                        InferParameter.newBuilder().setInt64Param(classes).build());
            }
            b.addOutputs(out);
        }
        return b.build();
    }

    /** The outputs of a response another node produced, for re-encoding in another protocol. */
    public static InferenceResult fromWire(ModelInferResponse r) {
        List<TensorData> outputs = new ArrayList<>(r.getOutputsCount());
        for (int i = 0; i < r.getOutputsCount(); i++) {
            ModelInferResponse.InferOutputTensor o = r.getOutputs(i);
            DataType type = DataType.fromProtocol(o.getDatatype())
                    .orElseThrow(() -> new ServingException(
                            ServingException.Code.INTERNAL, "a peer answered with an unknown datatype"));
            long[] shape = Shapes.toArray(o.getShapeList());
            ByteString raw = r.getRawOutputContents(i);
            long elements = 1;
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            outputs.add(
                    type == DataType.BYTES
                            ? TensorData.ofStrings(
                                    o.getName(),
                                    shape,
                                    Codecs.splitLengthPrefixed(o.getName(), raw.asReadOnlyByteBuffer(), elements))
                            : TensorData.ofRaw(
                                    o.getName(),
                                    type,
                                    shape,
                                    raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)));
        }
        return new InferenceResult(outputs, 0, 0);
    }
}
