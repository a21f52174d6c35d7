package dev.modelmux.admission.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.admission.Priority;
import java.util.List;
import org.junit.jupiter.api.Test;

class TenantPolicyTest {

    private final TenantPolicy policy = TenantPolicy.of(
            1, List.of(TenantTest.tenant("acme", List.of("*")), TenantTest.tenant("beta", List.of("*"))));

    @Test
    void authenticatesByKeyHash() {
        assertThat(policy.authenticate("Bearer k-acme"))
                .isInstanceOfSatisfying(
                        AuthResult.Ok.class, ok -> assertThat(ok.tenant().id()).isEqualTo("acme"));
        assertThat(policy.authenticate("bearer k-beta"))
                .isInstanceOfSatisfying(
                        AuthResult.Ok.class, ok -> assertThat(ok.tenant().id()).isEqualTo("beta"));
    }

    @Test
    void authMatrix() {
        assertThat(policy.authenticate(null)).isInstanceOf(AuthResult.Missing.class);
        assertThat(policy.authenticate("  ")).isInstanceOf(AuthResult.Missing.class);
        assertThat(policy.authenticate("Basic abc")).isInstanceOf(AuthResult.Malformed.class);
        assertThat(policy.authenticate("Bearer")).isInstanceOf(AuthResult.Malformed.class);
        assertThat(policy.authenticate("Bearer a b")).isInstanceOf(AuthResult.Malformed.class);
        assertThat(policy.authenticate("Bearerk-acme")).isInstanceOf(AuthResult.Malformed.class);
        assertThat(policy.authenticate("Bearer nope")).isInstanceOf(AuthResult.Unknown.class);
    }

    @Test
    void rejectsDuplicateIdsAndSharedKeys() {
        Tenant a = TenantTest.tenant("acme", List.of("*"));
        assertThatThrownBy(() -> TenantPolicy.of(1, List.of(a, a)))
                .hasMessage("tenants[1] (id 'acme'): id is used by another tenant");
        Tenant b = new Tenant("beta", a.keySha256(), List.of("*"), Priority.DEFAULT, 1, 0, 1, 1, 0, 1);
        assertThatThrownBy(() -> TenantPolicy.of(1, List.of(a, b)))
                .hasMessageContaining("tenants[1] (id 'beta'): key_sha256[0] is also a key of tenant 'acme'");
    }

    @Test
    void defaultPolicyNeedsNoKey() {
        TenantPolicy d = TenantPolicy.defaultPolicy();
        assertThat(d.isOpen()).isTrue();
        for (String h : new String[] {null, "", "Bearer whatever", "garbage"}) {
            assertThat(d.authenticate(h))
                    .isInstanceOfSatisfying(
                            AuthResult.Ok.class,
                            ok -> assertThat(ok.tenant().id()).isEqualTo("default"));
        }
        Tenant t = d.tenant("default").orElseThrow();
        assertThat(t.allows("any-model")).isTrue();
        assertThat(t.unlimitedRate()).isTrue();
        assertThat(t.priority()).isEqualTo(Priority.DEFAULT);
    }
}
