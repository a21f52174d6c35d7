package dev.modelmux.admission.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.admission.Priority;
import org.junit.jupiter.api.Test;

class TenantPolicyLoaderTest {
    static final String A = "0b131655124822cb1cf254042086d2bf26a4f1c6cd82727aab583e915346aca3";
    static final String B = "3b6424f5938ab57d09f708b7e81994276b9ea3be655baffd5dbd3ca06433c3c6";

    static final String YAML = """
      version: 7
      tenants:
        - id: acme
          key_sha256: [%s]
          models: ["resnet-*"]
          priority: critical
          weight: 2
          rate: 10
          burst: 2
          max_in_flight: 1
          max_queued: 5
          max_request_bytes: 100
        - id: beta
          key_sha256: [%s]
      """.formatted(A, B);

    @Test
    void loadsYamlWithDefaults() {
        TenantPolicy p = TenantPolicyLoader.parse(YAML);
        assertThat(p.version()).isEqualTo(7);
        Tenant a = p.tenant("acme").orElseThrow();
        assertThat(a.priority()).isEqualTo(Priority.CRITICAL);
        assertThat(a.weight()).isEqualTo(2.0);
        assertThat(a.burst()).isEqualTo(2);
        Tenant b = p.tenant("beta").orElseThrow();
        assertThat(b.models()).containsExactly("*");
        assertThat(b.rate()).isZero();
        assertThat(b.maxInFlight()).isEqualTo(TenantPolicyLoader.DEFAULT_MAX_IN_FLIGHT);
        assertThat(b.maxRequestBytes()).isEqualTo(TenantPolicyLoader.DEFAULT_MAX_REQUEST_BYTES);
    }

    @Test
    void loadsJson() {
        TenantPolicy p = TenantPolicyLoader.parse("""
        {"tenants": [{"id": "acme", "key_sha256": ["%s"], "models": ["*"], "rate": 5.5,
          "max_in_flight": 3}]}""".formatted(A));
        assertThat(p.tenant("acme").orElseThrow().rate()).isEqualTo(5.5);
        assertThat(p.tenant("acme").orElseThrow().burst()).isEqualTo(6);
    }

    @Test
    void errorsNameTenantAndKey() {
        assertThatThrownBy(() -> TenantPolicyLoader.parse(YAML.replace("max_in_flight: 1", "max_in_flight: 0")))
                .hasMessage("tenants[0] (id 'acme'): max_in_flight must be >= 1, was 0");
        assertThatThrownBy(() -> TenantPolicyLoader.parse(YAML.replace("max_queued", "max_queue")))
                .hasMessageStartingWith("tenants[0] (id 'acme'): unknown key 'max_queue'");
        assertThatThrownBy(() -> TenantPolicyLoader.parse(YAML.replace("weight: 2", "weight: heavy")))
                .hasMessage("tenants[0] (id 'acme'): weight must be a number, was 'heavy'");
        assertThatThrownBy(() -> TenantPolicyLoader.parse(YAML.replace("burst: 2", "burst: 2.5")))
                .hasMessage("tenants[0] (id 'acme'): burst must be an integer, was 2.5");
        assertThatThrownBy(() -> TenantPolicyLoader.parse(YAML.replace("priority: critical", "priority: high")))
                .hasMessageContaining("priority must be one of CRITICAL, DEFAULT, SHEDDABLE, was 'high'");
        assertThatThrownBy(() -> TenantPolicyLoader.parse("tenants: [{id: x}]"))
                .hasMessageContaining("tenants[0] (id 'x'): key_sha256 must be a list");
        assertThatThrownBy(() -> TenantPolicyLoader.parse("tenantz: []")).hasMessageContaining("unknown key 'tenantz'");
        assertThatThrownBy(() -> TenantPolicyLoader.parse("tenants: 3"))
                .hasMessage("tenants must be a list of tenants");
        assertThatThrownBy(() -> TenantPolicyLoader.parse("tenants: [ {"))
                .isInstanceOf(InvalidPolicyException.class)
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void rejectsDuplicateIdSharedKeyAndUnsafeTypes() {
        assertThatThrownBy(() -> TenantPolicyLoader.parse(YAML.replace("id: beta", "id: acme")))
                .hasMessage("tenants[1] (id 'acme'): id is used by another tenant");
        assertThatThrownBy(() -> TenantPolicyLoader.parse(YAML.replace(B, A)))
                .hasMessageContaining("tenants[1] (id 'beta'): key_sha256[0] is also a key of tenant 'acme'");
        assertThatThrownBy(() -> TenantPolicyLoader.parse("tenants: !!java.io.File [x]"))
                .isInstanceOf(InvalidPolicyException.class);
    }

    @Test
    void rejectsTooLargeAndTooDeep() {
        String big = "# " + "x".repeat(TenantPolicyLoader.MAX_BYTES) + "\ntenants: []";
        assertThatThrownBy(() -> TenantPolicyLoader.parse(big)).hasMessageContaining("larger than");
        String deep = "tenants: " + "[".repeat(100) + "]".repeat(100);
        assertThatThrownBy(() -> TenantPolicyLoader.parse(deep)).isInstanceOf(InvalidPolicyException.class);
    }
}
