package dev.modelmux.node.predlog.internal;

import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.predlog.LogLimits;
import dev.modelmux.node.security.AdminAuth;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * {@code POST /api/v1/labels}: {@code {"labels": [{"request_id": "...", "label": <number|string>,
 * "at_ms": <epoch millis, optional>}]}}, appended to the label log in order; answers {@code
 * {"accepted": n}}: once queued, or under {@code log-durability: always} once fsynced. When the
 * log's buffer fills part-way, it answers 503 with how many were accepted (507 when the log cannot
 * write: a full disk): resend the rest.
 *
 * <p>Labels come from the tenants' systems, but for now the route takes the admin token (no
 * per-tenant label permission exists yet).
 */
public final class LabelsApi {
    static final String PATH = "/api/v1/labels";
    public static final long MAX_BODY_BYTES = 16L << 20;
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
            Context context = vertx.getOrCreateContext();
            return vertx.executeBlocking(() -> parse(text, clockMillis.getAsLong()), false)
                    .compose(labels -> log.durability() == LogDurability.ALWAYS
                            ? appendDurable(labels, context)
                            : Future.succeededFuture(append(labels)));
        });
    }

    /** Under {@code log-durability: always}: answers once every label is fsynced. */
    private Future<AdminReply> appendDurable(List<LabelRecord> labels, Context context) {
        List<CompletableFuture<Void>> done = new ArrayList<>(labels.size());
        for (LabelRecord l : labels) {
            CompletableFuture<Void> f = log.appendDurable(l);
            done.add(f);
            if (f.isCompletedExceptionally()) {
                break; // refused at once (buffer full, closed): the rest are not sent
            }
        }
        return Future.fromCompletionStage(
                        CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
                                .handle((v, t) -> null),
                        context)
                .map(v -> {
                    int accepted = 0;
                    while (accepted < done.size()
                            && done.get(accepted).isDone()
                            && !done.get(accepted).isCompletedExceptionally()) {
                        accepted++;
                    }
                    if (accepted == labels.size()) {
                        return AdminReply.ok(new JsonObject().put("accepted", accepted));
                    }
                    ServingException why = ServingException.of(
                            done.get(accepted).handle((v2, t) -> t).join());
                    return AdminReply.of(
                            why.code() == ServingException.Code.INSUFFICIENT_STORAGE ? 507 : 503,
                            new JsonObject()
                                    .put(
                                            "error",
                                            why.getMessage() + "; the first " + accepted
                                                    + " labels were stored; resend the rest")
                                    .put("accepted", accepted));
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
            if (!(o.getValue("request_id") instanceof String id) || id.isEmpty()) {
                throw ServingException.invalid(
                        where + ".request_id: required, a string of 1 to " + LogLimits.MAX_ID_BYTES + " bytes");
            }
            LogLimits.checkId(where + ".request_id", id);
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
