package dev.modelmux.node.admin;

import dev.modelmux.admin.AdminApi;
import dev.modelmux.admin.AdminBackend;
import dev.modelmux.admission.tenant.Admission;
import dev.modelmux.node.catalog.ModelManager;
import dev.modelmux.node.mesh.ClusterLink;
import dev.modelmux.node.mesh.Forwarder;
import dev.modelmux.node.mesh.Operators;
import dev.modelmux.node.mesh.TenantPolicySync;
import dev.modelmux.node.metrics.NodeMetrics;
import dev.modelmux.node.path.BatchingState;
import dev.modelmux.node.security.AdminAuth;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.List;
import java.util.function.Supplier;

/**
 * The node's side of the admin API: the read models and actions of {@code admin-ui}'s {@link
 * AdminApi}, implemented over this node's state, and their lifecycle. {@link #mount} serves the page
 * and the routes and starts what they sample; {@link #stop} stops it.
 */
public final class MeshAdmin {
    private final MeshReads reads;
    private final CapacityAdvisor capacity;
    private final AdminApi api;

    /** What the admin API reads and acts on. */
    public record Parts(
            ClusterLink link,
            ModelManager models,
            Operators operators,
            Forwarder forwarder,
            Admission admission,
            TenantPolicySync tenantSync,
            NodeMetrics metrics,
            Supplier<List<BatchingState>> batching) {}

    public MeshAdmin(Vertx vertx, AdminAuth admin, Parts p) {
        this.reads = new MeshReads(
                vertx, p.link(), p.models(), p.operators(), p.metrics().requestStats(), p.batching());
        this.capacity = CapacityAdvisor.create(
                vertx, p.link(), p.models(), p.operators(), p.metrics().computeStats());
        MeshOperations actions = new MeshOperations(
                p.link(), p.models(), p.operators(), p.forwarder(), System::nanoTime, System::currentTimeMillis);
        MeshTenants tenants = new MeshTenants(p.admission(), p.tenantSync(), p.metrics());
        this.api = AdminApi.create(
                vertx, admin.http(), new AdminBackend(reads, actions, tenants, capacity), System::currentTimeMillis);
    }

    /** The capacity advisor, for the endpoints to install their canary and shadow shares. */
    public CapacityAdvisor capacity() {
        return capacity;
    }

    /** Mounts the page and the routes on {@code router} and starts sampling; returns {@code router}. */
    public Router mount(Router router) {
        api.mount(router);
        capacity.start();
        return router;
    }

    public void stop() {
        api.close();
        capacity.stop();
    }
}
