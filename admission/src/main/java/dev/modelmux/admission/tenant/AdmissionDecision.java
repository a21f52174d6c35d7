package dev.modelmux.admission.tenant;

/** The outcome of {@link Admission#admit}: a ticket to run, or a status to answer with. */
public sealed interface AdmissionDecision permits AdmissionDecision.Admitted, AdmissionDecision.Rejected {

    /** gRPC status of a rejection; HTTP 401, 403 and 429 respectively. */
    enum Code {
        UNAUTHENTICATED,
        PERMISSION_DENIED,
        RESOURCE_EXHAUSTED
    }

    /** Admitted: close the ticket when the request finishes, whatever its outcome. */
    record Admitted(Ticket ticket) implements AdmissionDecision {}

    /**
     * Rejected before any queueing.
     *
     * @param message for the caller; names the tenant and quota, never a key
     * @param retryAfterNanos hint for a retry-after header; {@code 0} when retrying the same request
     *     cannot succeed
     * @param tenantId the tenant the request was identified as; empty when UNAUTHENTICATED
     * @param reason why a known tenant was refused; null when UNAUTHENTICATED
     */
    record Rejected(Code code, String message, long retryAfterNanos, String tenantId, TenantStats.Reason reason)
            implements AdmissionDecision {
        public Rejected(Code code, String message, long retryAfterNanos) {
            this(code, message, retryAfterNanos, "", null);
        }
    }
}
