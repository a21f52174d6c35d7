package dev.modelmux.repo;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the pre-scan learned about an ONNX artifact without running it.
 *
 * @param opsetImports domain ("" for the default ONNX domain) to opset version
 * @param inputs graph inputs that are not initializers ({@code -1} for symbolic or unknown dims)
 * @param outputs graph outputs
 * @param initializerBytes bytes of all embedded tensor data: initializers (sparse ones at their dense
 *     size, which is what a runtime builds) and constant/attribute tensors, in every subgraph and
 *     function; a lower bound on the runtime footprint
 * @param nodeCount nodes over every graph, subgraphs and function bodies included
 * @param batchVariant the graph quantizes activations dynamically ({@code DynamicQuantizeLinear},
 *     {@code DynamicQuantizeMatMul}): one scale is taken over the whole input tensor, so a
 *     request's outputs depend on the other requests stacked with it in a batch
 * @param runSizes the outputs the main graph sizes from its inputs' values, to size a run before running it
 */
public record OnnxModelInfo(
        long irVersion,
        Map<String, Long> opsetImports,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        long initializerBytes,
        int nodeCount,
        boolean batchVariant,
        RunSizes runSizes) {

    /** Operators whose result for one row depends on the whole tensor's range. */
    public static final Set<String> BATCH_VARIANT_OPS =
            Set.of("DynamicQuantizeLinear", "DynamicQuantizeMatMul", "DynamicQuantizeLSTM");

    public OnnxModelInfo {
        opsetImports = Map.copyOf(opsetImports);
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        runSizes = Objects.requireNonNull(runSizes, "runSizes");
    }

    /** As the canonical constructor, for a graph without value-shaped nodes. */
    public OnnxModelInfo(
            long irVersion,
            Map<String, Long> opsetImports,
            List<TensorSpec> inputs,
            List<TensorSpec> outputs,
            long initializerBytes,
            int nodeCount,
            boolean batchVariant) {
        this(irVersion, opsetImports, inputs, outputs, initializerBytes, nodeCount, batchVariant, RunSizes.none());
    }

    /** As the canonical constructor, for a graph that is batch-invariant. */
    public OnnxModelInfo(
            long irVersion,
            Map<String, Long> opsetImports,
            List<TensorSpec> inputs,
            List<TensorSpec> outputs,
            long initializerBytes,
            int nodeCount) {
        this(irVersion, opsetImports, inputs, outputs, initializerBytes, nodeCount, false);
    }
}
