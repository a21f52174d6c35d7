package dev.modelmux.node.endpoints;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pure routing rules: shares, stickiness, segments (the end-to-end split is tested on real nodes). */
class TrafficRoutingTest {
    private static EndpointSpec parse(String policy) {
        return EndpointsLoader.parseOne("{\"policy\": " + policy + "}", "e");
    }

    @Test
    void aCanaryKeepsEachEntityAndRaisingTheWeightOnlyMovesEntitiesTowardsTheCandidate() {
        EndpointSpec ten = parse(
                "{type: canary, targets: [{model: m, version: 1, weight: 90}, {model: m, version: 2, weight: 10}]}");
        EndpointSpec twenty = parse(
                "{type: canary, targets: [{model: m, version: 1, weight: 80}, {model: m, version: 2, weight: 20}]}");
        int candidate = 0;
        for (int i = 0; i < 10_000; i++) {
            String entity = "entity-" + i;
            long v = TrafficRouting.choose(ten, entity, "r" + i, Map.of()).version();
            assertThat(TrafficRouting.choose(ten, entity, "other", Map.of()).version())
                    .isEqualTo(v);
            if (v == 2) {
                candidate++;
                assertThat(TrafficRouting.choose(twenty, entity, "r", Map.of()).version())
                        .isEqualTo(2);
            }
        }
        assertThat(candidate).isBetween(800, 1200);
    }

    @Test
    void segmentsMatchEveryConditionAndFallBackToTheDefault() {
        EndpointSpec s = parse(
                "{type: segment, rules: [{when: {region: eu, device_class: mobile}, target: {model: m, version: 2}},"
                        + " {when: {tenant: acme}, target: {model: m, version: 3}}], default: {model: m, version: 1}}");
        Map<String, String> ctx = new HashMap<>(Map.of("region", "eu", "device_class", "mobile"));
        assertThat(TrafficRouting.choose(s, "", "", ctx).version()).isEqualTo(2);
        ctx.put("device_class", "desktop");
        assertThat(TrafficRouting.choose(s, "", "", ctx).version()).isEqualTo(1);
        ctx.put("tenant", "acme");
        assertThat(TrafficRouting.choose(s, "", "", ctx).version()).isEqualTo(3);
    }

    @Test
    void hashBucketsAreStableAndSpread() {
        assertThat(StableHash.bucket("e", "entity-1")).isEqualTo(StableHash.bucket("e", "entity-1"));
        // Known Murmur3 x86_32 vectors (seed 0): the implementation is the standard one.
        assertThat(StableHash.murmur3("", 0)).isZero();
        assertThat(Integer.toHexString(StableHash.murmur3("hello", 0))).isEqualTo("248bfa47");
        int[] counts = new int[10];
        for (int i = 0; i < 100_000; i++) {
            counts[StableHash.bucket("e", Integer.toString(i)) / 1000]++;
        }
        for (int c : counts) {
            assertThat(c).isBetween(9_500, 10_500);
        }
    }

    @Test
    void capacityPlanningSeesTheCanaryAndShadowShareOnTopOfAModelsPrimary() {
        EndpointDocument doc = EndpointDocument.EMPTY.replaceAll(
                List.of(
                        EndpointsLoader.parseOne(
                                "{policy: {type: canary, targets: [{model: m, version: 1, weight: 90}, "
                                        + "{model: m, version: 2, weight: 10}], shadow: {model: s, version: 1, sample: 0.25}}}",
                                "a"),
                        EndpointsLoader.parseOne("{policy: {type: single, targets: [{model: s, version: 1}]}}", "b")),
                1);
        EndpointTable t = EndpointTable.of(1, doc, "n", "");
        assertThat(Endpoints.extraTrafficShare(t, "m")).hasValue(0.1);
        assertThat(Endpoints.extraTrafficShare(t, "s")).hasValue(0.25);
        assertThat(Endpoints.extraTrafficShare(t, "other")).isEmpty();
    }
}
