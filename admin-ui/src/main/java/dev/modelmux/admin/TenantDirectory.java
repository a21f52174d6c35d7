package dev.modelmux.admin;

import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.TenantStats;
import io.vertx.core.Future;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.UnaryOperator;

/** The mesh's tenant policy as this node enforces it, and the one way to change it; implemented by the node. */
public interface TenantDirectory {
    /** The policy in force on this node now, with this node's admission counts. */
    TenantsView view();

    /** This node's latency, queue wait and scheduler refusals for {@code tenant}; empty when it measures none. */
    Optional<TenantUsage> usage(String tenant);

    /**
     * Writes {@code edit} of the mesh's current tenants as the next policy version, and applies it
     * here. {@code edit} gets the current tenants, or null when this node cannot read them; it may
     * throw an {@link AdminFailure} to refuse, and may be called again when another write lands in
     * between (so it must not have side effects).
     *
     * @param ifMatch the version the caller read; a write over another one fails with an {@link
     *     AdminFailure#versionConflict}
     * @param note who wrote it, for the log
     */
    Future<TenantPolicy> change(OptionalLong ifMatch, UnaryOperator<List<Tenant>> edit, String note);

    /**
     * @param source where the policy came from: {@code default} (none anywhere: the open tenant),
     *     {@code file} or {@code api}
     * @param nodes the live node count the rates are split over
     * @param stats this node's counts per tenant id
     */
    record TenantsView(TenantPolicy policy, String source, int nodes, Map<String, TenantStats> stats) {
        public TenantsView {
            Objects.requireNonNull(policy, "policy");
            Objects.requireNonNull(source, "source");
            if (nodes < 1) {
                throw new IllegalArgumentException("nodes must be >= 1, was " + nodes);
            }
            stats = Map.copyOf(stats);
        }
    }

    /**
     * A tenant's figures on this node (NaN where not measured yet).
     *
     * @param schedulerRefusals refusals after admission by the device schedulers, by reason ({@code
     *     shed}, {@code queue_full}, {@code deadline_exceeded}, {@code timeout})
     */
    record TenantUsage(
            double p50Millis, double p99Millis, double queueWaitP99Millis, Map<String, Long> schedulerRefusals) {
        public TenantUsage {
            schedulerRefusals = Map.copyOf(schedulerRefusals);
        }
    }
}
