package dev.modelmux.repo;

import java.util.List;
import java.util.Map;

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
 */
public record OnnxModelInfo(
    long irVersion,
    Map<String, Long> opsetImports,
    List<TensorSpec> inputs,
    List<TensorSpec> outputs,
    long initializerBytes,
    int nodeCount) {

  public OnnxModelInfo {
    opsetImports = Map.copyOf(opsetImports);
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }
}
