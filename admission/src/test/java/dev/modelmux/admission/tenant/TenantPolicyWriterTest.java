package dev.modelmux.admission.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.admission.Priority;
import java.util.List;
import org.junit.jupiter.api.Test;

class TenantPolicyWriterTest {
    static final String A = TenantPolicy.sha256Hex("key-a");
    static final String B = TenantPolicy.sha256Hex("key-b");
    static final String C = TenantPolicy.sha256Hex("key-c");

    @Test
    void writtenPolicyParsesBackToTheSameVersionAndTenants() {
        TenantPolicy policy = TenantPolicy.of(
                42,
                List.of(
                        new Tenant(
                                "acme",
                                List.of(A, B),
                                List.of("resnet-*", "bert?"),
                                Priority.CRITICAL,
                                2.5,
                                200,
                                400,
                                64,
                                256,
                                16L << 20),
                        // Doubles past where Java writes an exponent, longs past the int range, globs that
                        // need escaping.
                        new Tenant(
                                "odd.one_2",
                                List.of(C),
                                List.of("q\"uote", "tab\there", "ünï-*", "\u2028"),
                                Priority.SHEDDABLE,
                                1e10,
                                1e-7,
                                5L << 32,
                                1,
                                0,
                                9L << 40),
                        new Tenant(
                                "unlimited",
                                List.of(TenantPolicy.sha256Hex("key-d")),
                                List.of("*"),
                                Priority.DEFAULT,
                                1,
                                0,
                                1,
                                Integer.MAX_VALUE,
                                Integer.MAX_VALUE,
                                Long.MAX_VALUE)));

        String json = TenantPolicyWriter.write(policy);
        TenantPolicy back = TenantPolicyLoader.parse(json);

        assertThat(back.version()).isEqualTo(42);
        assertThat(back.tenants()).isEqualTo(policy.tenants());
        assertThat(json).isEqualTo(TenantPolicyWriter.write(back));
        assertThat(json.chars()).allMatch(c -> c == '\n' || (c >= 0x20 && c < 0x7f));
        assertThat(json)
                .contains("\"key_sha256\": [\"" + A + "\", \"" + B + "\"]")
                .contains("\"max_request_bytes\": 16777216")
                .doesNotContain("key-a");
    }

    @Test
    void everyFieldIsExplicitInTheFileSchema() {
        TenantPolicy policy = TenantPolicyLoader.parse("tenants:\n  - id: min\n    key_sha256: [" + A + "]\n");

        String json = TenantPolicyWriter.write(policy);

        assertThat(json)
                .isEqualTo("{\"version\": 0, \"tenants\": [\n"
                        + "  {\"id\": \"min\", \"key_sha256\": [\"" + A
                        + "\"], \"models\": [\"*\"], \"priority\": \"DEFAULT\","
                        + " \"weight\": 1.0, \"rate\": 0.0, \"burst\": 1, \"max_in_flight\": 64, \"max_queued\": 256,"
                        + " \"max_request_bytes\": 67108864}\n"
                        + "]}\n");
    }

    @Test
    void anEmptyPolicyRoundTripsAndTheOpenDefaultHasNoFileForm() {
        assertThat(TenantPolicyLoader.parse(TenantPolicyWriter.write(TenantPolicy.of(3, List.of())))
                        .tenants())
                .isEmpty();
        assertThatThrownBy(() -> TenantPolicyWriter.write(TenantPolicy.defaultPolicy()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no file form");
    }

    @Test
    void oneTenantRoundTripsThroughParseTenant() {
        Tenant t = new Tenant("solo", List.of(A), List.of("m-*"), Priority.CRITICAL, 3, 12.5, 20, 8, 9, 1000);

        assertThat(TenantPolicyLoader.parseTenant(TenantPolicyWriter.write(t), null))
                .isEqualTo(t);
        assertThat(TenantPolicyLoader.parseTenant("{\"key_sha256\": [\"" + A + "\"]}", "from-path")
                        .id())
                .isEqualTo("from-path");
        assertThatThrownBy(() -> TenantPolicyLoader.parseTenant("{\"key_sha256\": [\"" + A + "\"]}", null))
                .hasMessage("tenant: id is required and must be a string");
        assertThatThrownBy(() -> TenantPolicyLoader.parseTenant(
                        "{\"id\": \"x\", \"key_sha256\": [\"" + A + "\"], \"rate\": -1}", null))
                .hasMessage("tenant (id 'x'): rate must be > 0 requests/s, or 0 for unlimited, was -1.0");
    }

    @Test
    void numbersKeepAnExplicitExponentSign() {
        assertThat(TenantPolicyWriter.number(1e10)).isEqualTo("1.0E+10");
        assertThat(TenantPolicyWriter.number(1e-7)).isEqualTo("1.0E-7");
        assertThat(TenantPolicyWriter.number(0.5)).isEqualTo("0.5");
    }
}
