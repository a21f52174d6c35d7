package dev.modelmux.admission.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.admission.Priority;
import java.util.List;
import org.junit.jupiter.api.Test;

class TenantTest {

    static Tenant tenant(String id, List<String> models) {
        return new Tenant(
                id, List.of(TenantPolicy.sha256Hex("k-" + id)), models, Priority.DEFAULT, 1, 0, 1, 4, 0, 1024);
    }

    @Test
    void globMatching() {
        assertThat(Glob.matches("*", "")).isTrue();
        assertThat(Glob.matches("*", "anything")).isTrue();
        assertThat(Glob.matches("resnet-*", "resnet-50")).isTrue();
        assertThat(Glob.matches("resnet-*", "resnet")).isFalse();
        assertThat(Glob.matches("bert-?", "bert-b")).isTrue();
        assertThat(Glob.matches("bert-?", "bert-bb")).isFalse();
        assertThat(Glob.matches("*-q", "minilm-q")).isTrue();
        assertThat(Glob.matches("a*b*c", "axxbyybzc")).isTrue();
        assertThat(Glob.matches("a*b*c", "axxbyy")).isFalse();
        assertThat(Glob.matches("exact", "exact")).isTrue();
        assertThat(Glob.matches("exact", "exactly")).isFalse();
    }

    @Test
    void allowsUsesAnyPattern() {
        Tenant t = tenant("acme", List.of("resnet-*", "minilm"));
        assertThat(t.allows("resnet-50")).isTrue();
        assertThat(t.allows("minilm")).isTrue();
        assertThat(t.allows("bert")).isFalse();
        assertThat(t.allows(null)).isFalse();
    }

    @Test
    void validationMessagesNameTheKey() {
        assertThatThrownBy(() -> tenant("bad id", List.of("*"))).hasMessageContaining("id must be 1-64 characters");
        assertThatThrownBy(() -> tenant("a".repeat(65), List.of("*"))).hasMessageContaining("id");
        assertThatThrownBy(() -> tenant("a", List.of("models/x")))
                .hasMessage("models[0] must not contain a path separator, was 'models/x'");
        assertThatThrownBy(() -> tenant("a", List.of())).hasMessageContaining("models must list");
        assertThatThrownBy(() -> new Tenant("a", List.of("ABC"), List.of("*"), Priority.DEFAULT, 1, 0, 1, 1, 0, 1))
                .hasMessageStartingWith("key_sha256[0] must be 64 lower-case hex");
        assertThatThrownBy(() -> new Tenant("a", List.of(), List.of("*"), Priority.DEFAULT, 0, 0, 1, 1, 0, 1))
                .hasMessage("weight must be > 0, was 0.0");
        assertThatThrownBy(() -> new Tenant("a", List.of(), List.of("*"), Priority.DEFAULT, 1, -1, 1, 1, 0, 1))
                .hasMessageContaining("rate must be > 0");
        assertThatThrownBy(() -> new Tenant("a", List.of(), List.of("*"), Priority.DEFAULT, 1, 0, 0, 1, 0, 1))
                .hasMessage("burst must be >= 1, was 0");
        assertThatThrownBy(() -> new Tenant("a", List.of(), List.of("*"), Priority.DEFAULT, 1, 0, 1, 0, 0, 1))
                .hasMessage("max_in_flight must be >= 1, was 0");
        assertThatThrownBy(() -> new Tenant("a", List.of(), List.of("*"), Priority.DEFAULT, 1, 0, 1, 1, -1, 1))
                .hasMessage("max_queued must be >= 0, was -1");
        assertThatThrownBy(() -> new Tenant("a", List.of(), List.of("*"), Priority.DEFAULT, 1, 0, 1, 1, 0, 0))
                .hasMessage("max_request_bytes must be > 0, was 0");
    }
}
