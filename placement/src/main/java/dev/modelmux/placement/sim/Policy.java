package dev.modelmux.placement.sim;

import dev.modelmux.placement.Evictor;
import dev.modelmux.placement.ModelKey;
import dev.modelmux.placement.ModelSpec;
import dev.modelmux.placement.sim.internal.BeladyPolicy;
import dev.modelmux.placement.sim.internal.CostAwarePolicy;
import dev.modelmux.placement.sim.internal.LruPolicy;
import java.util.List;
import java.util.Map;

/**
 * A single-device cache of models, fed one request at a time.
 *
 * <p>Contract: {@link #record} answers whether the model was resident (a hit) and then updates
 * the cache: on a miss the model is loaded if the policy admits it, evicting others so the
 * resident bytes never exceed the capacity. A model larger than the capacity is never admitted.
 * Policies are deterministic and single-threaded.
 */
public interface Policy {

    /** Least recently used first; always admits. */
    static Policy lru(long capacityBytes) {
        return new LruPolicy(capacityBytes);
    }

    /**
     * Eviction by {@code evictor} over a one-device view of the residents; {@code models} supply
     * load times. A miss is not admitted when the evictor finds no eligible victims.
     */
    static Policy costAware(long capacityBytes, Evictor evictor, Map<ModelKey, ModelSpec> models) {
        return new CostAwarePolicy(capacityBytes, evictor, models);
    }

    /**
     * The offline reference: evicts the resident whose next request is farthest in the future, and
     * does not admit a model whose next request is farther than those of the residents it would
     * displace. It must be fed exactly {@code trace}, in order. With variable sizes this is the
     * usual size-aware approximation of the offline optimum, not a proven optimum: a reference to
     * measure against, not a bound.
     */
    static Policy belady(long capacityBytes, List<Access> trace) {
        return new BeladyPolicy(capacityBytes, trace);
    }

    String name();

    /** Serves one request; true on a hit. */
    boolean record(Access access);

    PolicyStats stats();

    /** Bytes resident now; never above the capacity. */
    long residentBytes();
}
