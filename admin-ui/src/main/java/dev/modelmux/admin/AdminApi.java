package dev.modelmux.admin;

import dev.modelmux.admin.internal.AdminRoutes;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.function.LongSupplier;

/**
 * The operators' JSON API under {@code /api/v1/} and the web page at {@value AdminUi#PATH} that uses
 * it, every route behind the admin token ({@link AdminHttp}):
 *
 * <ul>
 *   <li>{@code GET /api/v1/cluster}: nodes, devices and copies ({@link MeshView})
 *   <li>{@code GET /api/v1/models}: models with their copies and figures ({@link ModelFigures})
 *   <li>{@code POST /api/v1/models/{model}/load|unload|pin|unpin}, {@code POST
 *       /api/v1/nodes/{node}/drain|undrain}: the {@link MeshActions}
 *   <li>{@code GET /api/v1/events}: the timeline; {@code GET /api/v1/stream}: a live {@code
 *       text/event-stream} of cluster changes and events, read with {@code fetch()} so the token
 *       travels in a header, never in a URL
 *   <li>{@code GET|PUT /api/v1/tenants}, {@code GET|PUT|DELETE /api/v1/tenants/{id}}: the tenant
 *       policy ({@link TenantDirectory}), versioned with ETag and If-Match
 *   <li>{@code GET /api/v1/capacity}: capacity advice ({@link CapacitySource})
 * </ul>
 */
public interface AdminApi {
    /** @param clockMillis wall-clock milliseconds, for {@code generated_at_ms} and the stream's heartbeat */
    static AdminApi create(Vertx vertx, AdminHttp http, AdminBackend backend, LongSupplier clockMillis) {
        return new AdminRoutes(vertx, http, backend, clockMillis);
    }

    /** Mounts the page and the routes on {@code router} and starts the stream's pushes; returns {@code router}. */
    Router mount(Router router);

    /** Stops the pushes and ends every open stream. */
    void close();
}
