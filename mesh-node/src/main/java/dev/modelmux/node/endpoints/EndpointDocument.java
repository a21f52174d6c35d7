package dev.modelmux.node.endpoints;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The text of the shared document {@value EndpointSync#DOCUMENT}: every endpoint with the policy
 * version that last changed it ({@code since}) and the definition it replaced ({@code previous}),
 * which a rollback restores in one write. JSON:
 *
 * <pre>
 * {"endpoints": [{"since": 4, "endpoint": {...}, "previous": {"since": 2, "endpoint": {...}}}]}
 * </pre>
 */
public record EndpointDocument(List<Entry> entries) {
    public static final EndpointDocument EMPTY = new EndpointDocument(List.of());

    public EndpointDocument {
        entries = List.copyOf(entries);
    }

    /**
     * @param since the policy version that wrote {@code spec}
     * @param previous what {@code spec} replaced; null if it was new
     */
    public record Entry(EndpointSpec spec, long since, EndpointSpec previous, long previousSince) {}

    public Optional<Entry> entry(String name) {
        return entries.stream().filter(e -> e.spec().name().equals(name)).findFirst();
    }

    public List<EndpointSpec> specs() {
        return entries.stream().map(Entry::spec).toList();
    }

    /** With {@code spec} written at {@code version}: added, or replacing (and remembering) the current one. */
    public EndpointDocument put(EndpointSpec spec, long version) {
        List<Entry> out = new ArrayList<>();
        boolean found = false;
        for (Entry e : entries) {
            if (e.spec().name().equals(spec.name())) {
                found = true;
                out.add(e.spec().equals(spec) ? e : new Entry(spec, version, e.spec(), e.since()));
            } else {
                out.add(e);
            }
        }
        if (!found) {
            out.add(new Entry(spec, version, null, 0));
        }
        return new EndpointDocument(out);
    }

    /** Exactly these endpoints: unchanged ones keep their history, changed ones remember what they replace. */
    public EndpointDocument replaceAll(List<EndpointSpec> specs, long version) {
        EndpointDocument d = new EndpointDocument(entries.stream()
                .filter(e ->
                        specs.stream().anyMatch(s -> s.name().equals(e.spec().name())))
                .toList());
        for (EndpointSpec s : specs) {
            d = d.put(s, version);
        }
        return d;
    }

    public EndpointDocument remove(String name) {
        return new EndpointDocument(
                entries.stream().filter(e -> !e.spec().name().equals(name)).toList());
    }

    /** The endpoint back at its previous definition, written at {@code version}; the current one becomes the previous. */
    public EndpointDocument rollback(String name, long version) {
        List<Entry> out = new ArrayList<>();
        for (Entry e : entries) {
            out.add(
                    e.spec().name().equals(name) && e.previous() != null
                            ? new Entry(e.previous(), version, e.spec(), e.since())
                            : e);
        }
        return new EndpointDocument(out);
    }

    public String write() {
        JsonArray a = new JsonArray();
        for (Entry e : entries) {
            JsonObject o = new JsonObject().put("since", e.since()).put("endpoint", EndpointsJson.write(e.spec()));
            if (e.previous() != null) {
                o.put(
                        "previous",
                        new JsonObject()
                                .put("since", e.previousSince())
                                .put("endpoint", EndpointsJson.write(e.previous())));
            }
            a.add(o);
        }
        return new JsonObject().put("endpoints", a).encode();
    }

    /** Reads a document's text (as written by {@link #write}); fails with {@link InvalidEndpointException}. */
    public static EndpointDocument parse(String text) {
        Object root = EndpointsLoader.yaml(text, "endpoints document");
        if (!(root instanceof Map<?, ?> m) || !(m.get("endpoints") instanceof List<?> list)) {
            throw new InvalidEndpointException("endpoints document: must be a map with an 'endpoints' list");
        }
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> e)) {
                throw new InvalidEndpointException("endpoints document: entry " + i + " is not a map");
            }
            EndpointSpec spec = EndpointsLoader.endpoint(e.get("endpoint"), "endpoints[" + i + "]");
            EndpointSpec previous = null;
            long previousSince = 0;
            if (e.get("previous") instanceof Map<?, ?> p) {
                previous = EndpointsLoader.endpoint(p.get("endpoint"), "endpoints[" + i + "].previous");
                previousSince = number(p.get("since"));
            }
            out.add(new Entry(spec, number(e.get("since")), previous, previousSince));
        }
        return new EndpointDocument(out);
    }

    private static long number(Object v) {
        return v instanceof Number n ? n.longValue() : 0;
    }
}
