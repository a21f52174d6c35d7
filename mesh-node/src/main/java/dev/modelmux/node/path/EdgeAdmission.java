package dev.modelmux.node.path;

import dev.modelmux.admission.tenant.Admission;
import dev.modelmux.admission.tenant.AdmissionDecision;
import dev.modelmux.admission.tenant.AuthResult;
import dev.modelmux.admission.tenant.TenantPolicy;
import dev.modelmux.admission.tenant.Ticket;
import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.metrics.NodeMetrics;
import dev.modelmux.repo.ModelNames;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The receiving node's tenant checks, before any queueing or routing: who is calling (bearer key),
 * may they call this model, are they within their quota. Rejections cost microseconds and carry
 * the status and, for quotas, when to retry. Forwarded requests were admitted by the node that
 * received them and skip this.
 */
public final class EdgeAdmission {
    /** Tenant label of requests that named no valid key. */
    public static final String UNAUTHENTICATED_TENANT = "_unauthenticated";

    private final Admission admission;
    private final LongSupplier nanoClock;
    private final NodeMetrics metrics;
    private final Predicate<String> knownModel;

    /** @param knownModel whether a name is a repository model (only those become metric labels) */
    public EdgeAdmission(
            Admission admission, LongSupplier nanoClock, NodeMetrics metrics, Predicate<String> knownModel) {
        this.admission = admission;
        this.nanoClock = nanoClock;
        this.metrics = metrics;
        this.knownModel = knownModel;
    }

    public Admission admission() {
        return admission;
    }

    /**
     * Checks only who is calling, before anything of the request is read (no quota is taken; {@link
     * #admit} does the rest once the model is known).
     *
     * @throws ServingException UNAUTHENTICATED without a tenant's key when tenants are configured
     */
    public void authenticate(String authorization) {
        TenantPolicy policy = admission.policy();
        if (policy.isOpen() || policy.authenticate(authorization) instanceof AuthResult.Ok) {
            return;
        }
        metrics.tenantRejected(UNAUTHENTICATED_TENANT, NodeMetrics.UNKNOWN_MODEL, "unauthenticated");
        throw new ServingException(
                ServingException.Code.UNAUTHENTICATED,
                "this node serves tenants: send authorization: Bearer <your tenant key>");
    }

    /**
     * @return the ticket holding the tenant's in-flight slot; close it when the request completes
     * @throws ServingException UNAUTHENTICATED, PERMISSION_DENIED or RESOURCE_EXHAUSTED
     */
    public Ticket admit(String authorization, String model, long requestBytes) {
        AdmissionDecision d = admission.admit(authorization, model, requestBytes, nanoClock.getAsLong());
        String label = ModelNames.isValid(model) && knownModel.test(model) ? model : NodeMetrics.UNKNOWN_MODEL;
        if (d instanceof AdmissionDecision.Admitted a) {
            metrics.admitted(a.ticket().tenant().id(), label);
            return a.ticket();
        }
        AdmissionDecision.Rejected r = (AdmissionDecision.Rejected) d;
        metrics.tenantRejected(
                r.reason() == null ? UNAUTHENTICATED_TENANT : r.tenantId(),
                label,
                r.reason() == null ? "unauthenticated" : r.reason().name().toLowerCase(Locale.ROOT));
        long retryMs = r.retryAfterNanos() <= 0 ? 0 : Math.max(1, TimeUnit.NANOSECONDS.toMillis(r.retryAfterNanos()));
        ServingException.Code code = switch (r.code()) {
            case UNAUTHENTICATED -> ServingException.Code.UNAUTHENTICATED;
            case PERMISSION_DENIED -> ServingException.Code.PERMISSION_DENIED;
            case RESOURCE_EXHAUSTED -> ServingException.Code.RESOURCE_EXHAUSTED;
        };
        throw new ServingException(
                code, retryMs > 0 ? r.message() + "; retry after " + retryMs + " ms" : r.message(), retryMs);
    }
}
