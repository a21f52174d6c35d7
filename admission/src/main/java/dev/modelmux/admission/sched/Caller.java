package dev.modelmux.admission.sched;

import dev.modelmux.admission.Priority;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;
import java.util.Objects;

/**
 * Who a request is served for, as a device's queue needs it: the tenant, its priority class, its
 * fair-share weight in queue units ({@code round(weight * 10)}, at least 1) and how many of its
 * requests may wait on one device ({@code 0}: none may wait, it runs at once or is refused).
 */
public record Caller(String tenantId, Priority priority, int weightUnits, int maxQueued) {
    /** Requests of the open default tenant (no --tenants) and of callers unknown to this node. */
    public static final Caller DEFAULT = new Caller(TenantPolicy.DEFAULT_TENANT_ID, Priority.DEFAULT, 10, 256);

    public Caller {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(priority, "priority");
        if (weightUnits < 1) {
            throw new IllegalArgumentException("weightUnits must be >= 1, was " + weightUnits);
        }
        if (maxQueued < 0) {
            throw new IllegalArgumentException("maxQueued must be >= 0, was " + maxQueued);
        }
    }

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
