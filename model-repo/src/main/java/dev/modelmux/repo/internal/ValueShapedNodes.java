package dev.modelmux.repo.internal;

import dev.modelmux.repo.RunSizes;
import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.NodeProto;
import dev.modelmux.repo.onnx.TensorProto;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@link RunSizes} of a main graph: one rule per value-shaped node, each computing its output's element
 * count (a double, so that no product overflows) from a run's inputs, or {@code NaN} when they do not
 * determine it.
 */
public final class ValueShapedNodes implements RunSizes {
    public static final RunSizes NONE = new ValueShapedNodes(List.of(), List.of());

    private record Rule(String node, String opType, int elementBytes, Function<Inputs, Double> elements) {}

    private final List<Rule> rules;
    private final List<String> unevaluated;

    private ValueShapedNodes(List<Rule> rules, List<String> unevaluated) {
        this.rules = List.copyOf(rules);
        this.unevaluated = List.copyOf(unevaluated);
    }

    /** The value-shaped nodes of {@code g}'s own node list (subgraphs are not analysed). */
    public static RunSizes of(GraphProto g) {
        GraphValues values = new GraphValues(g);
        List<Rule> rules = new ArrayList<>();
        List<String> unevaluated = new ArrayList<>();
        for (NodeProto n : g.getNodeList()) {
            if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
                continue;
            }
            Function<Inputs, Double> elements;
            int bytes;
            switch (n.getOpType()) {
                case "ConstantOfShape" -> {
                    elements = product(values.values(input(n, 0)));
                    bytes = constantOfShapeBytes(n);
                }
                case "Expand" -> {
                    elements = expand(values.shape(input(n, 0)), values.values(input(n, 1)));
                    bytes = values.elementBytes(input(n, 0));
                }
                case "Tile" -> {
                    elements = tile(values.shape(input(n, 0)), values.values(input(n, 1)));
                    bytes = values.elementBytes(input(n, 0));
                }
                case "Range" -> {
                    elements =
                            range(values.values(input(n, 0)), values.values(input(n, 1)), values.values(input(n, 2)));
                    bytes = values.elementBytes(input(n, 0));
                }
                case "Resize", "Upsample" -> {
                    if (n.getInputCount() < 2) {
                        continue; // Upsample before opset 9: scales are an attribute, fixed by the graph
                    }
                    elements = resize(n, values);
                    bytes = values.elementBytes(input(n, 0));
                }
                default -> {
                    continue;
                }
            }
            String describe = new Estimate(n.getName(), n.getOpType(), 0).describe();
            if (elements == null) {
                unevaluated.add(describe);
            } else {
                rules.add(new Rule(n.getName(), n.getOpType(), bytes, elements));
            }
        }
        return rules.isEmpty() && unevaluated.isEmpty() ? NONE : new ValueShapedNodes(rules, unevaluated);
    }

    @Override
    public Optional<Estimate> largest(Inputs inputs) {
        Estimate best = null;
        for (Rule r : rules) {
            Double e = r.elements.apply(inputs);
            if (e == null || e.isNaN()) {
                continue;
            }
            double bytes = e * r.elementBytes;
            long b = bytes >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) bytes;
            if (best == null || b > best.bytes()) {
                best = new Estimate(r.node, r.opType, b);
            }
        }
        return Optional.ofNullable(best);
    }

    @Override
    public List<String> unevaluated() {
        return unevaluated;
    }

    @Override
    public boolean isEmpty() {
        return rules.isEmpty() && unevaluated.isEmpty();
    }

    private static String input(NodeProto n, int i) {
        return i < n.getInputCount() ? n.getInput(i) : "";
    }

    private static int constantOfShapeBytes(NodeProto n) {
        for (AttributeProto a : n.getAttributeList()) {
            if (a.getName().equals("value") && a.hasT()) {
                return GraphValues.elementBytes(a.getT().getDataType());
            }
        }
        return GraphValues.elementBytes(TensorProto.DataType.FLOAT_VALUE);
    }

    /** The product of a shape's values; NaN when unknown or a dim is negative. */
    private static Function<Inputs, Double> product(Function<Inputs, double[]> shape) {
        if (shape == null) {
            return null;
        }
        return in -> product(shape.apply(in));
    }

    private static double product(double[] dims) {
        if (dims == null) {
            return Double.NaN;
        }
        double p = 1;
        for (double d : dims) {
            if (!(d >= 0)) {
                return Double.NaN;
            }
            p *= Math.floor(d);
        }
        return p;
    }

    /** Broadcast of the data's shape (1s where unknown) with the requested shape. */
    private static Function<Inputs, Double> expand(Function<Inputs, long[]> data, Function<Inputs, double[]> shape) {
        if (shape == null) {
            return null;
        }
        return in -> {
            double[] s = shape.apply(in);
            long[] d = data == null ? new long[0] : data.apply(in);
            if (s == null) {
                return Double.NaN;
            }
            int rank = Math.max(s.length, d == null ? 0 : d.length);
            double[] out = new double[rank];
            for (int i = 0; i < rank; i++) {
                int si = i - (rank - s.length);
                int di = d == null ? -1 : i - (rank - d.length);
                double sv = si >= 0 ? s[si] : 1;
                double dv = di >= 0 ? d[di] : 1;
                out[i] = sv == 1 ? dv : dv == 1 ? sv : Math.min(sv, dv);
            }
            return product(out);
        };
    }

    /** The data's elements (1 when unknown) times the repeats' product. */
    private static Function<Inputs, Double> tile(Function<Inputs, long[]> data, Function<Inputs, double[]> repeats) {
        if (repeats == null) {
            return null;
        }
        return in -> {
            long[] d = data == null ? null : data.apply(in);
            double base = d == null ? 1 : product(GraphValues.doubles(d));
            return base * product(repeats.apply(in));
        };
    }

    private static Function<Inputs, Double> range(
            Function<Inputs, double[]> start, Function<Inputs, double[]> limit, Function<Inputs, double[]> delta) {
        if (start == null || limit == null || delta == null) {
            return null;
        }
        return in -> {
            double[] s = start.apply(in);
            double[] l = limit.apply(in);
            double[] d = delta.apply(in);
            if (s == null || l == null || d == null || s.length != 1 || l.length != 1 || d.length != 1 || d[0] == 0) {
                return Double.NaN;
            }
            return Math.max(Math.ceil((l[0] - s[0]) / d[0]), 0);
        };
    }

    /** Resize (X, roi, scales, sizes) from opset 11, (X, scales) before; Upsample (X, scales). */
    private static Function<Inputs, Double> resize(NodeProto n, GraphValues values) {
        boolean withRoi = n.getOpType().equals("Resize") && n.getInputCount() > 2;
        String sizesName = withRoi ? input(n, 3) : "";
        if (!sizesName.isEmpty()) {
            return product(values.values(sizesName));
        }
        Function<Inputs, double[]> scales = values.values(input(n, withRoi ? 2 : 1));
        if (scales == null) {
            return null;
        }
        Function<Inputs, long[]> data = values.shape(input(n, 0));
        return in -> {
            double[] s = scales.apply(in);
            long[] d = data == null ? null : data.apply(in);
            if (s == null) {
                return Double.NaN;
            }
            double p = 1;
            for (int i = 0; i < s.length; i++) {
                double dim = d != null && d.length == s.length ? d[i] : 1;
                if (!(s[i] >= 0)) {
                    return Double.NaN;
                }
                p *= Math.floor(dim * s[i]);
            }
            return p;
        };
    }
}
