package dev.modelmux.node.security;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * TLS for the node's servers and for the calls it makes to other nodes.
 *
 * @param cert {@code tls-cert}: PEM certificate chain, the node's certificate first
 * @param key {@code tls-key}: PEM private key of that certificate (PKCS#8, PKCS#1 RSA or SEC1 EC)
 * @param clientCa {@code tls-client-ca}: PEM certificates that client certificates must chain to; when set,
 *     clients must present one (mutual TLS), and nodes trust it for each other too
 * @param reloadInterval {@code tls-reload-interval}: how often the files are checked for a change; zero: never
 */
public record TlsConfig(Path cert, Path key, Optional<Path> clientCa, Duration reloadInterval) {
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(30);

    public TlsConfig {
        Objects.requireNonNull(cert, "tls-cert");
        Objects.requireNonNull(key, "tls-key");
        Objects.requireNonNull(clientCa, "tls-client-ca");
        Objects.requireNonNull(reloadInterval, "tls-reload-interval");
        if (reloadInterval.isNegative()) {
            throw new IllegalArgumentException(
                    "tls-reload-interval: must be >= 0 (0: no reload), was " + reloadInterval);
        }
    }

    /** Certificate and key, no client certificates, the default reload interval. */
    public static TlsConfig of(Path cert, Path key) {
        return new TlsConfig(cert, key, Optional.empty(), DEFAULT_RELOAD_INTERVAL);
    }

    public TlsConfig withClientCa(Path ca) {
        return new TlsConfig(cert, key, Optional.of(ca), reloadInterval);
    }

    public TlsConfig withReloadInterval(Duration interval) {
        return new TlsConfig(cert, key, clientCa, interval);
    }

    /** Whether clients must present a certificate that chains to {@link #clientCa()}. */
    public boolean mutual() {
        return clientCa.isPresent();
    }
}
