package dev.modelmux.node.endpoints;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.repo.ExampleRepository;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The endpoints schema: the example parses, round-trips through the document, and bad input names its field. */
class EndpointsLoaderTest {
    private static final String CANARY = """
      endpoints:
        - name: e1
          policy:
            type: canary
            targets: [{model: m, version: 1, weight: 90}, {model: m, version: 2, weight: 10}]
      """;

    @Test
    void theExampleParsesAndRoundTripsThroughTheSharedDocument() {
        List<EndpointSpec> specs = EndpointsLoader.parse(ExampleRepository.EXAMPLE_ENDPOINTS);
        assertThat(specs).hasSize(1);
        EndpointSpec e = specs.get(0);
        assertThat(e.name()).isEqualTo("example");
        assertThat(e.policy().type()).isEqualTo(EndpointSpec.PolicyType.CANARY);
        assertThat(e.allTargets()).extracting(Object::toString).containsExactly("risk:1", "risk:2", "risk-fallback:1");
        assertThat(e.features().refs()).containsExactly("user.age", "user.income", "txn.amount", "txn.count_24h");
        assertThat(e.decision().decide(0.9)).isEqualTo("decline");
        assertThat(e.decision().decide(0.6)).isEqualTo("review");
        assertThat(e.decision().decide(0.1)).isEqualTo("approve");
        assertThat(e.decision().confidence(0.8)).isZero();
        assertThat(e.decision().confidence(0.0)).isEqualTo(1.0);
        assertThat(e.metadata()).containsEntry("dataset", "credit-2026-10");

        EndpointDocument doc = EndpointDocument.EMPTY.replaceAll(specs, 1);
        EndpointDocument back = EndpointDocument.parse(doc.write());
        assertThat(back).isEqualTo(doc);
        // A changed endpoint remembers the one it replaced; a rollback brings it back as a new version.
        EndpointSpec blue = EndpointsLoader.parseOne("""
        {"policy": {"type": "blue_green", "active": "blue",
                    "targets": [{"name": "blue", "model": "risk", "version": 1}, {"name": "green", "model": "risk", "version": 2}]}}
        """, "example");
        EndpointDocument two = back.put(blue, 2);
        assertThat(two.entry("example").orElseThrow().since()).isEqualTo(2);
        assertThat(two.entry("example").orElseThrow().previous()).isEqualTo(e);
        EndpointDocument three =
                EndpointDocument.parse(two.rollback("example", 3).write());
        assertThat(three.entry("example").orElseThrow().spec()).isEqualTo(e);
        assertThat(three.entry("example").orElseThrow().since()).isEqualTo(3);
        assertThat(three.entry("example").orElseThrow().previous()).isEqualTo(blue);
        // Writing the same definition again keeps its history.
        assertThat(three.put(e, 4)).isEqualTo(three);
    }

    @Test
    void anEndpointMayOverrideTheNodesLogDurabilityAndTheDocumentKeepsIt() {
        assertThat(EndpointsLoader.parse(CANARY).get(0).logDurability())
                .as("absent: the node's setting")
                .isNull();
        EndpointSpec always = EndpointsLoader.parse(CANARY + "    log: {sample_rate: 0.5, durability: always}\n")
                .get(0);
        assertThat(always.logDurability()).isEqualTo(LogDurability.ALWAYS);
        EndpointDocument doc = EndpointDocument.EMPTY.replaceAll(List.of(always), 1);
        assertThat(EndpointDocument.parse(doc.write()).entry("e1").orElseThrow().spec())
                .isEqualTo(always);
    }

    @Test
    void badInputIsRefusedNamingTheEndpointAndTheField() {
        bad(
                CANARY.replace("weight: 10", "weight: 20"),
                "endpoints[0] (name 'e1'): policy.targets: weights must add up to 100, they add up to 110");
        bad(CANARY.replace("weight: 10", "weight: 120"), "policy.targets[1].weight must be in [0, 100], was 120");
        bad(CANARY.replace("version: 2", "version: 0"), "policy.targets[1].version must be in [1");
        bad(CANARY.replace("version: 2", "version: 1"), "policy.targets[1]: m:1 is listed twice");
        bad(CANARY.replace("type: canary", "type: bandit"), "policy.type must be one of single, champion_challenger");
        bad(CANARY.replace("name: e1", "name: ../etc"), "endpoints[0] (name '../etc'): name:");
        bad(CANARY + "    colour: red\n", "unknown key 'colour'");
        bad(CANARY + "    features: {refs: [a, b], defaults: {a: 1}}\n", "features.defaults.b is missing");
        bad(
                CANARY + "    features: {refs: [a], defaults: {a: 1}, timeout_ms: 0}\n",
                "features.timeout_ms must be in [1, 60000], was 0");
        bad(
                CANARY + "    features: {refs: [a], defaults: {a: 1}}\n    decision: {default: ok}\n"
                        + "    ladder: {rules: [{feature: zz, above: 1, decision: x, score: 1}], safe_default: {decision: d, score: 0.5}}\n",
                "ladder.rules[0].feature 'zz' is not in features.refs");
        bad(CANARY + "    ladder: {safe_default: {decision: d, score: 0.5}}\n", "ladder needs a decision section");
        bad(
                CANARY + "    circuit_breaker: {minimum_calls: 30, window: 20}\n",
                "circuit_breaker.minimum_calls must be at most window (20), was 30");
        bad(CANARY + "    log: {sample_rate: 1.5}\n", "log.sample_rate must be in [0.0, 1.0], was 1.5");
        bad(CANARY + "    log: {durability: sometimes}\n", "log.durability: must be none, interval or always");
        bad("""
        endpoints:
          - name: s
            policy: {type: segment, rules: [{when: {planet: mars}, target: {model: m, version: 1}}], default: {model: m, version: 1}}
        """, "policy.rules[0].when: unknown key 'planet'");
        bad("""
        endpoints:
          - name: b
            policy: {type: blue_green, active: red, targets: [{name: blue, model: m, version: 1}, {name: green, model: m, version: 2}]}
        """, "policy.active must be blue or green, was 'red'");
        bad(
                "endpoints: [{name: x, policy: {type: single, targets: [{model: m, version: 1}]}}, "
                        + "{name: x, policy: {type: single, targets: [{model: m, version: 1}]}}]",
                "name 'x' is used twice");
        bad("endpoints: [", "is not valid YAML");
    }

    private static void bad(String text, String message) {
        assertThatThrownBy(() -> EndpointsLoader.parse(text))
                .isInstanceOf(InvalidEndpointException.class)
                .hasMessageContaining(message);
    }
}
