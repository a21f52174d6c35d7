package dev.modelmux.node.endpoints;

import dev.modelmux.node.endpoints.EndpointSpec.Policy;
import dev.modelmux.node.endpoints.EndpointSpec.SegmentRule;
import dev.modelmux.node.endpoints.EndpointSpec.Target;
import dev.modelmux.node.endpoints.EndpointSpec.TargetRef;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Which model version a request goes to under an endpoint's policy. Pure: the same inputs give the
 * same answer on every node.
 *
 * <ul>
 *   <li>canary: by the bucket of the entity id (sticky: an entity keeps its version while the
 *       weights stay; raising a candidate's weight only moves entities towards it); without an
 *       entity id, by the request id (not sticky)
 *   <li>champion/challenger: by the bucket of the request id (a fixed split, not sticky)
 *   <li>segment: the first rule whose every {@code when} entry equals the context's, else the default
 *   <li>blue-green: the active target; single: the target
 * </ul>
 *
 * A request with neither id is split at random.
 */
public final class TrafficRouting {
    private TrafficRouting() {}

    public static TargetRef choose(EndpointSpec e, String entityId, String requestId, Map<String, String> context) {
        Policy p = e.policy();
        switch (p.type()) {
            case SINGLE:
                return p.targets().get(0).ref();
            case BLUE_GREEN:
                return p.activeTarget().ref();
            case SEGMENT:
                for (SegmentRule r : p.rules()) {
                    if (r.when().entrySet().stream().allMatch(w -> w.getValue().equals(context.get(w.getKey())))) {
                        return r.target();
                    }
                }
                return p.defaultTarget();
            case CANARY:
                return weighted(p.targets(), bucket(e.name(), !isEmpty(entityId) ? entityId : requestId));
            case CHAMPION_CHALLENGER:
                return weighted(p.targets(), bucket(e.name(), requestId));
            default:
                throw new IllegalStateException(p.type().name());
        }
    }

    private static int bucket(String salt, String key) {
        return isEmpty(key) ? ThreadLocalRandom.current().nextInt(StableHash.BUCKETS) : StableHash.bucket(salt, key);
    }

    /** The target whose cumulative share (weights in percent, in declaration order) covers the bucket. */
    static TargetRef weighted(List<Target> targets, int bucket) {
        int cumulative = 0;
        for (Target t : targets) {
            cumulative += t.weight() * (StableHash.BUCKETS / 100);
            if (bucket < cumulative) {
                return t.ref();
            }
        }
        return targets.get(targets.size() - 1).ref();
    }

    private static boolean isEmpty(String s) {
        return s == null || s.isEmpty();
    }
}
