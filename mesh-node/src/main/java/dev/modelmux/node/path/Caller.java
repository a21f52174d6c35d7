package dev.modelmux.node.path;

import dev.modelmux.admission.Priority;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;

/**
 * Who a request is served for, as the device scheduler needs it: the tenant, its priority class,
 * its fair-share weight in queue units ({@code round(weight * 10)}, at least 1) and how many of its
 * requests may wait on one device.
 */
public record Caller(String tenantId, Priority priority, int weightUnits, int maxQueued) {
    /** Requests of the open default tenant (no --tenants) and of callers unknown to this node. */
    public static final Caller DEFAULT = new Caller(TenantPolicy.DEFAULT_TENANT_ID, Priority.DEFAULT, 10, 256);

    public static Caller of(Tenant t) {
        return new Caller(
                t.id(),
                t.priority(),
                (int) Math.max(1, Math.min(1_000_000, Math.round(t.weight() * 10))),
                t.maxQueued());
    }

    /** The caller of a request another node admitted: its tenant as this node's policy knows it. */
    public static Caller forwarded(String tenantId, TenantPolicy policy) {
        if (tenantId == null || tenantId.isEmpty()) {
            return DEFAULT;
        }
        return policy.tenant(tenantId).map(Caller::of).orElse(DEFAULT);
    }
}
