package dev.modelmux.admission.tenant;

import java.util.Map;

/**
 * A snapshot of one tenant's admission counters, for metrics.
 *
 * @param rejected rejections by reason; every reason is present
 */
public record TenantStats(String tenantId, long admitted, int inFlight, Map<Reason, Long> rejected) {

    /** Why a request of a known tenant was rejected. */
    public enum Reason {
        MODEL_NOT_ALLOWED,
        RATE,
        IN_FLIGHT,
        REQUEST_BYTES
    }

    public TenantStats {
        rejected = Map.copyOf(rejected);
    }
}
