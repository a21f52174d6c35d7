package dev.modelmux.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A guessable cluster secret is refused at start, with a message that names the key and how to make one. */
class ClusterSecretTest {

    private static final SecureRandom RANDOM = new SecureRandom(new byte[] {42});

    @ParameterizedTest
    @ValueSource(
            strings = {
                "test-cluster-secret-0123456789", // 30 characters
                "0123456789abcdef0123456789abcdef", // a pattern repeated
                "passwordpasswordpasswordpassword",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", // neighbouring characters
                "                                        ",
                "aabbaabbabababbbaaabbbabababaabbbabaaabbb" // two characters
            })
    void refusesObviouslyWeakSecretsNamingTheKeyNeverTheValue(String weak) {
        assertThatThrownBy(() -> ClusterSecret.of(weak))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("cluster-secret: too weak")
                .hasMessageContaining("openssl rand -base64 32")
                .hasMessageNotContaining(weak.strip().isEmpty() ? "\u0000" : weak);
    }

    @Test
    void acceptsWhatTheUsualToolsMake() {
        for (int i = 0; i < 10_000; i++) {
            byte[] b32 = new byte[32];
            RANDOM.nextBytes(b32);
            byte[] b16 = new byte[16];
            RANDOM.nextBytes(b16);
            ClusterSecret.of(Base64.getEncoder().encodeToString(b32)); // openssl rand -base64 32
            ClusterSecret.of(HexFormat.of().formatHex(b16)); // openssl rand -hex 16
        }
        assertThat(ClusterSecret.of("test-cluster-secret-0123456789-kQ7vX2pLm9").value())
                .hasSize(41);
    }

    @Test
    void aRandomSecretIsStrongAndDifferentEachTime() {
        ClusterSecret one = ClusterSecret.random();
        assertThat(one.value()).hasSizeGreaterThanOrEqualTo(ClusterSecret.MIN_LENGTH);
        assertThat(ClusterSecret.random()).isNotEqualTo(one);
    }

    @Test
    void neverShowsItselfInText() {
        ClusterSecret s = ClusterSecret.of("test-cluster-secret-0123456789-kQ7vX2pLm9");
        assertThat(s.toString()).doesNotContain(s.value());
        assertThat(ClusterConfig.defaults().withSecret(s).toString()).doesNotContain(s.value());
    }

    @Test
    void theHopKeyIsAnHmacOfItsOwnLabel() {
        ClusterSecret s = ClusterSecret.of("test-cluster-secret-0123456789-kQ7vX2pLm9");
        // printf 'modelmux forward hops v1\n' | openssl dgst -sha256 -hmac test-cluster-secret-0123456789-kQ7vX2pLm9
        assertThat(HexFormat.of().formatHex(s.hopKey()))
                .isEqualTo("e25d7df7be0b52ab93c9bd7ffe4db72f1b6f7556708a0e01c158a625fccb6805")
                // not the entry tags' key (label "modelmux entry tags v1\nmodelmux")
                .isNotEqualTo("e22b0edcb9cf859b39b0c63339ae47b5caf8ab46037d16990dae63178503bfb1");
        assertThat(ClusterSecret.random().hopKey()).isNotEqualTo(s.hopKey()).hasSize(32);
        byte[] mine = s.hopKey();
        mine[0] ^= 1;
        assertThat(s.hopKey()).as("each call a fresh copy").isNotEqualTo(mine);
    }
}
