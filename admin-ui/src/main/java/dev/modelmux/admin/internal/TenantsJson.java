package dev.modelmux.admin.internal;

import dev.modelmux.admin.TenantDirectory;
import dev.modelmux.admission.tenant.Tenant;
import dev.modelmux.admission.tenant.TenantStats;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** A tenant as the admin API shows it: its settings, how many keys (never the hashes), its share here, its usage. */
final class TenantsJson {
    private TenantsJson() {}

    static JsonObject tenant(Tenant t, int nodes, TenantStats stats, Optional<TenantDirectory.TenantUsage> usage) {
        JsonObject rejected = new JsonObject();
        for (TenantStats.Reason r : TenantStats.Reason.values()) {
            rejected.put(
                    r.name().toLowerCase(Locale.ROOT),
                    stats == null ? 0L : stats.rejected().getOrDefault(r, 0L));
        }
        JsonObject used = new JsonObject()
                .put("admitted", stats == null ? 0L : stats.admitted())
                .put("in_flight", stats == null ? 0 : stats.inFlight())
                .put("rejected", rejected);
        usage.ifPresent(u -> {
            putFinite(used, "p50_ms", u.p50Millis());
            putFinite(used, "p99_ms", u.p99Millis());
            putFinite(used, "queue_wait_p99_ms", u.queueWaitP99Millis());
            u.schedulerRefusals().entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> rejected.put(e.getKey(), e.getValue()));
        });
        return new JsonObject()
                .put("id", t.id())
                .put("priority", t.priority().name())
                .put("weight", t.weight())
                .put("models", new JsonArray(t.models()))
                .put("rate", t.rate())
                .put("burst", t.burst())
                .put("max_in_flight", t.maxInFlight())
                .put("max_queued", t.maxQueued())
                .put("max_request_bytes", t.maxRequestBytes())
                .put("keys", t.keySha256().size())
                // As RateLimiter.forNode splits a cluster-wide quota.
                .put("rate_per_node", t.rate() / nodes)
                .put("burst_per_node", Math.max(1, t.burst() / nodes))
                .put("usage", used);
    }

    private static void putFinite(JsonObject o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, Math.round(v * 1000) / 1000.0);
        }
    }
}
