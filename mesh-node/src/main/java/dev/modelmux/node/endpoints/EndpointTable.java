package dev.modelmux.node.endpoints;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The endpoints in force on a node: one version of the shared document, immutable.
 *
 * @param version the policy version (0: no endpoint written yet)
 * @param updatedBy the node that wrote it; {@code note} says how (file, api call)
 */
public record EndpointTable(long version, Map<String, EndpointDocument.Entry> entries, String updatedBy, String note) {
    public static final EndpointTable EMPTY = new EndpointTable(0, Map.of(), "", "");

    public EndpointTable {
        entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    static EndpointTable of(long version, EndpointDocument doc, String updatedBy, String note) {
        Map<String, EndpointDocument.Entry> m = new LinkedHashMap<>();
        doc.entries().forEach(e -> m.put(e.spec().name(), e));
        return new EndpointTable(version, m, updatedBy, note);
    }

    public Optional<EndpointDocument.Entry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    public boolean has(String name) {
        return entries.containsKey(name);
    }

    public List<EndpointDocument.Entry> list() {
        return List.copyOf(entries.values());
    }

    public EndpointDocument document() {
        return new EndpointDocument(list());
    }
}
