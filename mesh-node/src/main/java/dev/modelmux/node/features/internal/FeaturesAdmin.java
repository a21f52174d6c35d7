package dev.modelmux.node.features.internal;

import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminReply;
import dev.modelmux.cluster.FeatureTable;
import dev.modelmux.cluster.FeatureValue;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.security.AdminAuth;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The feature store's admin API, behind the admin token:
 *
 * <ul>
 *   <li>{@code PUT /api/v1/features}: load values ({@link FeatureBatch}'s shapes, at most
 *   {@value #MAX_BODY_BYTES} bytes), stamped now; answers how many entities and values
 *   <li>{@code GET /api/v1/features/{entity_id}}: an entity's stored values with their write time
 *   and age (404 when it has none)
 * </ul>
 */
public final class FeaturesAdmin {
    static final String BASE = "/api/v1/features";
    public static final long MAX_BODY_BYTES = 16L << 20;

    private final Vertx vertx;
    private final AdminHttp http;
    private final FeatureTable table;
    private final LongSupplier clockMillis;

    public FeaturesAdmin(Vertx vertx, AdminAuth admin, FeatureTable table, LongSupplier clockMillis) {
        this.vertx = vertx;
        this.http = admin.http();
        this.table = table;
        this.clockMillis = clockMillis;
    }

    public void mount(Router r) {
        http.handle(r.put(BASE), MAX_BODY_BYTES, ctx -> {
            String text =
                    AdminHttp.text(ctx, "{\"features\": [{\"entity_id\": ..., \"values\": {...}}]} or JSON lines");
            return vertx.executeBlocking(
                            () -> {
                                try {
                                    return FeatureBatch.parse(text);
                                } catch (IllegalArgumentException e) {
                                    throw ServingException.invalid(e.getMessage());
                                }
                            },
                            false)
                    .compose(batch -> Future.fromCompletionStage(table.put(batch))
                            .map(n -> AdminReply.ok(new JsonObject()
                                    .put("entities", batch.size())
                                    .put("values", n))));
        });
        http.handle(r.get(BASE + "/:entity_id"), 0, ctx -> {
            String id = ctx.pathParam("entity_id");
            if (!FeatureTable.validName(id)) {
                throw ServingException.invalid("entity_id: must match " + FeatureTable.NAME.pattern());
            }
            return Future.fromCompletionStage(table.entity(id)).map(values -> view(id, values));
        });
    }

    private AdminReply view(String id, Map<String, FeatureValue> values) {
        if (values.isEmpty()) {
            throw ServingException.notFound("no features stored for entity '" + id + "'");
        }
        long now = clockMillis.getAsLong();
        JsonObject features = new JsonObject();
        values.forEach((name, v) -> features.put(
                name,
                new JsonObject()
                        .put("value", v.value())
                        .put("updated_at_ms", v.updatedAtMillis())
                        .put("age_ms", Math.max(0, now - v.updatedAtMillis()))));
        return AdminReply.ok(new JsonObject().put("entity_id", id).put("features", features));
    }
}
