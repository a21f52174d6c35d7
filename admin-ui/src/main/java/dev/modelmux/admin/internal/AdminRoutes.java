package dev.modelmux.admin.internal;

import dev.modelmux.admin.AdminApi;
import dev.modelmux.admin.AdminBackend;
import dev.modelmux.admin.AdminHttp;
import dev.modelmux.admin.AdminUi;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.function.LongSupplier;

/** {@link AdminApi}: the page and the four groups of routes on one router. */
public final class AdminRoutes implements AdminApi {
    private final MeshRoutes mesh;
    private final EventStream stream;
    private final TenantRoutes tenants;
    private final CapacityRoutes capacity;

    public AdminRoutes(Vertx vertx, AdminHttp http, AdminBackend backend, LongSupplier clockMillis) {
        this(vertx, http, backend, clockMillis, EventStream.MAX_STREAMS);
    }

    AdminRoutes(Vertx vertx, AdminHttp http, AdminBackend backend, LongSupplier clockMillis, int maxStreams) {
        this.mesh = new MeshRoutes(http, backend.mesh(), backend.actions(), clockMillis);
        this.stream = new EventStream(vertx, http, backend.mesh(), clockMillis, maxStreams);
        this.tenants = new TenantRoutes(vertx, http, backend.tenants());
        this.capacity = new CapacityRoutes(http, backend.capacity(), clockMillis);
    }

    @Override
    public Router mount(Router router) {
        AdminUi.mount(router);
        mesh.mount(router);
        stream.mount(router);
        tenants.mount(router);
        capacity.mount(router);
        return router;
    }

    @Override
    public void close() {
        stream.close();
    }

    /** Streams open now. */
    int openStreams() {
        return stream.openStreams();
    }
}
