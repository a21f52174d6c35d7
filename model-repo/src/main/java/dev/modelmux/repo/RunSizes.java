package dev.modelmux.repo;

import dev.modelmux.repo.internal.ValueShapedNodes;
import java.util.List;
import java.util.Optional;

/**
 * The outputs a graph sizes from its inputs' values rather than their shapes ({@code ConstantOfShape},
 * {@code Expand}, {@code Tile}, {@code Range}, {@code Resize}, {@code Upsample}): one request with a
 * shape input of {@code [72000, 72000]} makes such a node allocate 20 GB. The pre-scan records how each
 * such node's output size follows from the run's inputs, so a runtime can size a run before running it.
 *
 * <p>An estimate is a lower bound on what the runtime allocates for that output: when an element type
 * or a dim is not known from the graph, the smallest value is assumed, so a run is refused only when
 * it certainly needs more. Only the main graph is analysed; a node whose shape argument is computed
 * in a way not evaluated here (arithmetic, gathers, subgraphs) is listed by {@link #unevaluated()}.
 */
public interface RunSizes {

    /** One run's inputs, as far as they are known. */
    interface Inputs {
        /** No inputs known: only sizes the graph fixes by constants can be computed. */
        Inputs NONE = new Inputs() {
            @Override
            public Optional<double[]> values(String input) {
                return Optional.empty();
            }

            @Override
            public Optional<long[]> shape(String input) {
                return Optional.empty();
            }
        };

        /** A small numeric input's elements, row-major; empty when absent, not numeric or too large to be a shape. */
        Optional<double[]> values(String input);

        /** An input's shape; empty when absent. */
        Optional<long[]> shape(String input);
    }

    /**
     * One node's output size for a run.
     *
     * @param node the node's name (empty if unnamed)
     * @param opType its operator
     * @param bytes a lower bound on the output's size in bytes, saturating at {@code Long.MAX_VALUE}
     */
    record Estimate(String node, String opType, long bytes) {
        /** "node 'n' (ConstantOfShape)". */
        public String describe() {
            return (node.isEmpty() ? "an unnamed node" : "node '" + node + "'") + " (" + opType + ")";
        }
    }

    /** The largest output among the nodes whose size these inputs determine; empty when there is none. */
    Optional<Estimate> largest(Inputs inputs);

    /** Value-shaped nodes whose size could not be related to the inputs ("node 'n' (Expand)"). */
    List<String> unevaluated();

    /** Whether the graph has no value-shaped node at all. */
    boolean isEmpty();

    /** A graph without value-shaped nodes. */
    static RunSizes none() {
        return ValueShapedNodes.NONE;
    }
}
