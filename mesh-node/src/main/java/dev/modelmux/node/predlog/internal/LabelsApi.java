package dev.modelmux.node.predlog.internal;

import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.security.AdminAuth;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * {@code POST /api/v1/labels}: {@code {"labels": [{"request_id": "...", "label": <number|string>,
 * "at_ms": <epoch millis, optional>}]}}, appended to the label log in order; answers {@code
 * {"accepted": n}}. When the log's buffer fills part-way, it answers 503 with how many were
 * accepted: resend the rest.
 *
 * <p>Labels come from the tenants' systems, but for now the route takes the admin token (no
 * per-tenant label permission exists yet).
 */
public final class LabelsApi {
    static final String PATH = "/api/v1/labels";
    public static final long MAX_BODY_BYTES = 16L << 20;
    static final int MAX_ID_CHARS = 256;
    static final int MAX_LABEL_CHARS = 4096;
    private static final Set<String> FIELDS = Set.of("request_id", "label", "at_ms");

    private final Vertx vertx;
    private final AdminHttp http;
    private final LabelLog log;
    private final LongSupplier clockMillis;

    public LabelsApi(Vertx vertx, AdminAuth admin, LabelLog log, LongSupplier clockMillis) {
        this.vertx = vertx;
        this.http = admin.http();
        this.log = log;
        this.clockMillis = clockMillis;
    }

    public void mount(Router r) {
        http.handle(r.post(PATH), MAX_BODY_BYTES, ctx -> {
            String text = AdminHttp.text(ctx, "{\"labels\": [{\"request_id\": ..., \"label\": ...}]}");
            return vertx.executeBlocking(() -> parse(text, clockMillis.getAsLong()), false)
                    .map(this::append);
        });
    }

    private AdminReply append(List<LabelRecord> labels) {
        for (int i = 0; i < labels.size(); i++) {
            if (!log.append(labels.get(i))) {
                return AdminReply.of(
                        503,
                        new JsonObject()
                                .put(
                                        "error",
                                        "the label log's buffer is full: the first " + i
                                                + " labels were accepted; resend the rest")
                                .put("accepted", i));
            }
        }
        return AdminReply.ok(new JsonObject().put("accepted", labels.size()));
    }

    static List<LabelRecord> parse(String text, long nowMillis) {
        JsonObject body;
        try {
            body = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw ServingException.invalid("request body is not a JSON object; send {\"labels\": [...]}");
        }
        for (String k : body.fieldNames()) {
            if (!k.equals("labels")) {
                throw ServingException.invalid(k + ": unknown field; the body is {\"labels\": [...]}");
            }
        }
        if (!(body.getValue("labels") instanceof JsonArray list)) {
            throw ServingException.invalid("labels: required, a list of {\"request_id\": ..., \"label\": ...}");
        }
        List<LabelRecord> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            String where = "labels[" + i + "]";
            if (!(list.getValue(i) instanceof JsonObject o)) {
                throw ServingException.invalid(where + ": must be an object {\"request_id\": ..., \"label\": ...}");
            }
            for (String k : o.fieldNames()) {
                if (!FIELDS.contains(k)) {
                    throw ServingException.invalid(
                            where + "." + k + ": unknown field; expected request_id, label, at_ms");
                }
            }
            if (!(o.getValue("request_id") instanceof String id) || id.isEmpty() || id.length() > MAX_ID_CHARS) {
                throw ServingException.invalid(
                        where + ".request_id: required, a string of 1 to " + MAX_ID_CHARS + " characters");
            }
            Object label = o.getValue("label");
            if (label instanceof Number n) {
                if (!Double.isFinite(n.doubleValue())) {
                    throw ServingException.invalid(where + ".label: must be a finite number or a string");
                }
            } else if (label instanceof String s) {
                if (s.length() > MAX_LABEL_CHARS) {
                    throw ServingException.invalid(
                            where + ".label: a string label has at most " + MAX_LABEL_CHARS + " characters");
                }
            } else {
                throw ServingException.invalid(where + ".label: required, a number or a string");
            }
            long at = nowMillis;
            if (o.containsKey("at_ms")) {
                Object a = o.getValue("at_ms");
                if (!(a instanceof Integer || a instanceof Long) || ((Number) a).longValue() < 0) {
                    throw ServingException.invalid(where + ".at_ms: must be epoch milliseconds, an integer >= 0");
                }
                at = ((Number) a).longValue();
            }
            out.add(new LabelRecord(id, label, at));
        }
        return out;
    }
}
