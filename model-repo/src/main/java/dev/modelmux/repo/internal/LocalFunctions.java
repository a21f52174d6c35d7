package dev.modelmux.repo.internal;

import static dev.modelmux.repo.internal.ScanContext.quote;

import dev.modelmux.repo.ArtifactRejectedException;
import dev.modelmux.repo.onnx.AttributeProto;
import dev.modelmux.repo.onnx.FunctionProto;
import dev.modelmux.repo.onnx.GraphProto;
import dev.modelmux.repo.onnx.NodeProto;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The model-local functions of a ModelProto, identified by (domain, name, overload). A node in a
 * non-built-in domain is acceptable only when it calls one of these; a function that calls itself,
 * directly or through others, is refused because a runtime inlining it would never finish.
 */
final class LocalFunctions {
    private final ScanContext ctx;
    private final Map<String, FunctionProto> byKey;
    private final Set<String> domains = new HashSet<>();

    private LocalFunctions(ScanContext ctx, Map<String, FunctionProto> byKey) {
        this.ctx = ctx;
        this.byKey = byKey;
        byKey.values().forEach(f -> domains.add(f.getDomain()));
    }

    static LocalFunctions of(ScanContext ctx, List<FunctionProto> functions) throws ArtifactRejectedException {
        Map<String, FunctionProto> byKey = new LinkedHashMap<>();
        for (FunctionProto f : functions) {
            if (f.getName().isEmpty()) {
                throw ctx.reject("the model defines a function without a name");
            }
            if (byKey.put(key(f.getDomain(), f.getName(), f.getOverload()), f) != null) {
                throw ctx.reject("the model defines function " + quote(f.getName()) + " in domain "
                        + quote(f.getDomain()) + " twice");
            }
        }
        return new LocalFunctions(ctx, byKey);
    }

    boolean defines(String domain, String name, String overload) {
        return byKey.containsKey(key(domain, name, overload));
    }

    boolean definesDomain(String domain) {
        return domains.contains(domain);
    }

    void rejectCycles() throws ArtifactRejectedException {
        Map<String, Integer> state = new HashMap<>(); // absent: unvisited, 1: on the path, 2: done
        for (String k : byKey.keySet()) {
            visit(k, state);
        }
    }

    private void visit(String k, Map<String, Integer> state) throws ArtifactRejectedException {
        Integer s = state.get(k);
        if (s != null) {
            if (s == 1) {
                throw ctx.reject("function " + quote(byKey.get(k).getName()) + " calls itself (directly or through"
                        + " other functions); recursive functions are refused");
            }
            return;
        }
        state.put(k, 1);
        Set<String> callees = new HashSet<>();
        calls(byKey.get(k).getNodeList(), callees);
        for (String c : callees) {
            visit(c, state);
        }
        state.put(k, 2);
    }

    private void calls(List<NodeProto> nodes, Set<String> out) {
        for (NodeProto n : nodes) {
            String k = key(n.getDomain(), n.getOpType(), n.getOverload());
            if (byKey.containsKey(k)) {
                out.add(k);
            }
            for (AttributeProto a : n.getAttributeList()) {
                if (a.hasG()) {
                    calls(a.getG().getNodeList(), out);
                }
                for (GraphProto g : a.getGraphsList()) {
                    calls(g.getNodeList(), out);
                }
            }
        }
    }

    private static String key(String domain, String name, String overload) {
        return domain + '\0' + name + '\0' + overload;
    }
}
