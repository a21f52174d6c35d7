package dev.modelmux.node.predlog.internal;

/**
 * A label for a logged prediction, as the label log stores it: {@code {"request_id": ...,
 * "label": <number|string>, "at_ms": ...}}.
 */
record LabelRecord(String requestId, Object label, long atMillis) {

    static void encode(LabelRecord r, StringBuilder out) {
        out.append('{');
        Json.key(out, "request_id", true);
        Json.string(out, r.requestId());
        Json.key(out, "label", false);
        Json.value(out, r.label());
        Json.key(out, "at_ms", false);
        out.append(r.atMillis());
        out.append('}');
    }
}
