package dev.modelmux.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The admin token's verdicts: missing, not a bearer, wrong, accepted; never a message that echoes it. */
class AdminTokenTest {
    private static final String TOKEN = "a-token-of-sixteen+";

    @Test
    void aTokenShorterThanSixteenCharactersIsRefused() {
        assertThatThrownBy(() -> AdminToken.of("short-token"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("admin token must be at least 16 characters");
        assertThatThrownBy(() -> AdminToken.of(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(AdminToken.of("x".repeat(16)).verify("Bearer " + "x".repeat(16)))
                .isEqualTo(AdminToken.Verdict.ACCEPTED);
    }

    @Test
    void eachHeaderGetsItsVerdict() {
        AdminToken t = AdminToken.of(TOKEN);
        assertThat(t.verify(null)).isEqualTo(AdminToken.Verdict.MISSING);
        assertThat(t.verify("  ")).isEqualTo(AdminToken.Verdict.MISSING);
        assertThat(t.verify(TOKEN)).isEqualTo(AdminToken.Verdict.NOT_BEARER);
        assertThat(t.verify("Basic " + TOKEN)).isEqualTo(AdminToken.Verdict.NOT_BEARER);
        assertThat(t.verify("Bearer ")).isEqualTo(AdminToken.Verdict.NOT_BEARER);
        assertThat(t.verify("Bearer " + TOKEN + "x")).isEqualTo(AdminToken.Verdict.WRONG);
        assertThat(t.verify("Bearer " + TOKEN.substring(1))).isEqualTo(AdminToken.Verdict.WRONG);
        assertThat(t.verify("Bearer " + TOKEN)).isEqualTo(AdminToken.Verdict.ACCEPTED);
        assertThat(t.verify("bearer   " + TOKEN + "  ")).isEqualTo(AdminToken.Verdict.ACCEPTED);
        for (AdminToken.Verdict v : AdminToken.Verdict.values()) {
            assertThat(v.message()).doesNotContain(TOKEN);
        }
    }
}
