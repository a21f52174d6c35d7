package dev.modelmux.node.path;

import dev.modelmux.gpu.TensorData;
import dev.modelmux.node.oip.ModelInferRequest;
import java.util.List;
import java.util.Map;

/**
 * A decoded inference request, independent of the protocol it came in on. Inputs have passed
 * the model-independent checks (datatype names, shapes, overflow-checked sizes, byte counts).
 *
 * @param version the requested version, or empty for the one the version policy picks
 * @param outputs requested output names in order; empty for all
 * @param deadlineNanos absolute deadline on the node's nano clock, or {@code Long.MAX_VALUE}
 * @param wire the request as it arrived over gRPC, forwarded as is to another node (its tensor
 *     bytes are passed through, not re-encoded); null when it came over REST
 * @param classifications outputs to answer as their top classes (Triton's classification extension):
 *     output name to the number of classes
 * @param cancel set when the caller has gone; a request cancelled before it starts on the device
 *     is not run
 */
public record InferRequest(
        String model,
        String version,
        String id,
        List<TensorData> inputs,
        List<String> outputs,
        Map<String, Object> parameters,
        long deadlineNanos,
        ModelInferRequest wire,
        Map<String, Integer> classifications,
        CancelSignal cancel) {

    public InferRequest {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        parameters = Map.copyOf(parameters);
        classifications = Map.copyOf(classifications);
        cancel = cancel == null ? CancelSignal.never() : cancel;
    }

    /** A request nobody cancels. */
    public InferRequest(
            String model,
            String version,
            String id,
            List<TensorData> inputs,
            List<String> outputs,
            Map<String, Object> parameters,
            long deadlineNanos,
            ModelInferRequest wire,
            Map<String, Integer> classifications) {
        this(
                model,
                version,
                id,
                inputs,
                outputs,
                parameters,
                deadlineNanos,
                wire,
                classifications,
                CancelSignal.never());
    }

    /** The same request with another deadline. */
    public InferRequest withDeadline(long nanos) {
        return new InferRequest(model, version, id, inputs, outputs, parameters, nanos, wire, classifications, cancel);
    }

    /** The same request, cancelled by {@code signal}. */
    public InferRequest withCancel(CancelSignal signal) {
        return new InferRequest(
                model, version, id, inputs, outputs, parameters, deadlineNanos, wire, classifications, signal);
    }

    /** The same request for another model version (an endpoint's target); {@code wire} renamed to match. */
    public InferRequest forTarget(String targetModel, String targetVersion, ModelInferRequest renamedWire) {
        return new InferRequest(
                targetModel,
                targetVersion,
                id,
                inputs,
                outputs,
                parameters,
                deadlineNanos,
                renamedWire,
                classifications,
                cancel);
    }

    /** A request without classification outputs. */
    public InferRequest(
            String model,
            String version,
            String id,
            List<TensorData> inputs,
            List<String> outputs,
            Map<String, Object> parameters,
            long deadlineNanos,
            ModelInferRequest wire) {
        this(model, version, id, inputs, outputs, parameters, deadlineNanos, wire, Map.of());
    }
}
