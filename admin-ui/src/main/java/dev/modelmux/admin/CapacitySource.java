package dev.modelmux.admin;

import dev.modelmux.placement.capacity.CapacityPlan;
import dev.modelmux.placement.capacity.CapacityPolicy;
import io.vertx.core.Future;
import java.util.Objects;

/** Capacity advice from the mesh's live figures, implemented by the node (the arithmetic is {@link CapacityPlan}). */
public interface CapacitySource {
    /** How far back the figures go: the longest window a query may ask for. */
    long retentionMillis();

    /** The advice for {@code query}'s policy, over its window. */
    Future<CapacityReport> advise(CapacityQuery query);

    /**
     * @param windowMillis over which the peak rate and p99 are taken
     * @param extraTrafficShare canary and shadow traffic on top of a model's own, for models whose
     *     endpoints do not say
     */
    record CapacityQuery(CapacityPolicy policy, long windowMillis, double extraTrafficShare) {
        public CapacityQuery {
            Objects.requireNonNull(policy, "policy");
        }
    }

    /**
     * @param node the node answering
     * @param coveredMillis how much of the window the figures cover
     */
    record CapacityReport(String node, CapacityPlan plan, long coveredMillis) {
        public CapacityReport {
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(plan, "plan");
        }
    }
}
