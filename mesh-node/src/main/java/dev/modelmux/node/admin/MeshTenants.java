package dev.modelmux.node.admin;

import dev.modelmux.admin.TenantDirectory;
import dev.modelmux.admission.sched.Rejection;
import dev.modelmux.admission.tenant.Admission;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.node.mesh.TenantPolicySync;
import dev.modelmux.node.metrics.NodeMetrics;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The tenant policy as this node enforces it ({@link Admission}), this node's figures per tenant
 * ({@link NodeMetrics}), and writes through the mesh's shared policy ({@link TenantPolicySync}).
 */
final class MeshTenants implements TenantDirectory {
    /** The device schedulers' refusals a tenant's usage shows next to admission's. */
    private static final Set<String> SCHEDULER_REFUSALS = Rejection.labels();

    private final Admission admission;
    private final TenantPolicySync sync;
    private final NodeMetrics metrics;

    MeshTenants(Admission admission, TenantPolicySync sync, NodeMetrics metrics) {
        this.admission = admission;
        this.sync = sync;
        this.metrics = metrics;
    }

    @Override
    public TenantsView view() {
        TenantPolicy p = admission.policy();
        String source = p.isOpen()
                ? TenantPolicySync.Source.DEFAULT.label()
                : sync.source().label();
        return new TenantsView(p, source, admission.nodeCount(), admission.snapshot());
    }

    @Override
    public Optional<TenantUsage> usage(String tenant) {
        if (metrics == null) {
            return Optional.empty();
        }
        NodeMetrics.TenantUsage u = metrics.tenantUsage(tenant);
        Map<String, Long> refused = new TreeMap<>();
        u.refusedByReason().forEach((reason, n) -> {
            if (SCHEDULER_REFUSALS.contains(reason)) {
                refused.put(reason, n);
            }
        });
        return Optional.of(new TenantUsage(u.p50Millis(), u.p99Millis(), u.queueWaitP99Millis(), refused));
    }

    @Override
    public Future<TenantPolicy> change(OptionalLong ifMatch, UnaryOperator<List<Tenant>> edit, String note) {
        return sync.change(ifMatch, edit, note);
    }
}
