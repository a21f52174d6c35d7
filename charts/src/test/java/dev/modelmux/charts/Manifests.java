package dev.modelmux.charts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/** The Kubernetes objects of one {@code helm template} run, parsed, found by kind and name. */
final class Manifests {
    private final List<Map<String, Object>> objects;

    private Manifests(List<Map<String, Object>> objects) {
        this.objects = List.copyOf(objects);
    }

    @SuppressWarnings("unchecked")
    static Manifests parse(String rendered) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : new Yaml(new LoaderOptions()).loadAll(rendered)) {
            if (doc != null) {
                out.add((Map<String, Object>) doc);
            }
        }
        return new Manifests(out);
    }

    List<Map<String, Object>> all() {
        return objects;
    }

    List<Map<String, Object>> ofKind(String kind) {
        return objects.stream().filter(o -> kind.equals(o.get("kind"))).toList();
    }

    Optional<Map<String, Object>> find(String kind, String name) {
        return ofKind(kind).stream()
                .filter(o -> name.equals(at(o, "metadata", "name")))
                .findFirst();
    }

    Map<String, Object> get(String kind, String name) {
        return find(kind, name)
                .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " among "
                        + objects.stream()
                                .map(o -> o.get("kind") + "/" + at(o, "metadata", "name"))
                                .toList()));
    }

    /** Follows map keys and list indexes from {@code root}; null where the path ends early. */
    static Object at(Object root, Object... path) {
        Object cur = root;
        for (Object step : path) {
            if (cur instanceof Map<?, ?> m && step instanceof String key) {
                cur = m.get(key);
            } else if (cur instanceof List<?> l && step instanceof Integer i) {
                cur = i < l.size() ? l.get(i) : null;
            } else {
                return null;
            }
        }
        return cur;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object root, Object... path) {
        Object v = at(root, path);
        if (!(v instanceof Map)) {
            throw new AssertionError("not a map at " + List.of(path) + ": " + v);
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object root, Object... path) {
        Object v = at(root, path);
        if (!(v instanceof List)) {
            throw new AssertionError("not a list at " + List.of(path) + ": " + v);
        }
        return (List<Object>) v;
    }

    /** The element of the list at {@code path} whose {@code key} is {@code value}. */
    static Map<String, Object> named(Object root, String key, Object value, Object... path) {
        for (Object o : list(root, path)) {
            if (o instanceof Map<?, ?> m && value.equals(m.get(key))) {
                return map(o);
            }
        }
        throw new AssertionError("no element with " + key + "=" + value + " at " + List.of(path));
    }
}
