package dev.modelmux.node;

import dev.modelmux.admin.AdminToken;
import dev.modelmux.node.catalog.ModelReadiness;
import dev.modelmux.node.metrics.ModelHistograms;
import dev.modelmux.node.security.TlsConfig;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How the node answers the protocol where Triton's meaning and a mesh's differ.
 *
 * @param readiness what {@code ModelReady} (and REST {@code /ready}) report: {@link ModelReadiness#SERVABLE}
 *     (the default: the mesh can serve it now, a call may pay a load) or {@link ModelReadiness#LOADED}
 *     (Triton's strict meaning: loaded on this node)
 * @param metricsToken the bearer token Prometheus presents for {@code /metrics} (empty: see {@code
 *     MetricsEndpoint} for who may scrape)
 * @param metricsPort a port of its own for {@code /metrics} (0 = ephemeral); empty: the REST port serves it
 * @param tls TLS for gRPC, REST, the metrics port and the calls to other nodes; empty: plain text
 * @param modelHistograms which models get full latency histograms in {@code /metrics} (default none)
 */
public record ServingOptions(
        ModelReadiness readiness,
        Optional<String> metricsToken,
        OptionalInt metricsPort,
        Optional<TlsConfig> tls,
        ModelHistograms modelHistograms) {
    public ServingOptions {
        Objects.requireNonNull(readiness, "model-readiness");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(modelHistograms, "metrics-model-histograms");
        metricsToken.ifPresent(t -> {
            if (t.length() < AdminToken.MIN_LENGTH) {
                throw new IllegalArgumentException(
                        "metrics-token: must be at least " + AdminToken.MIN_LENGTH + " characters");
            }
        });
        metricsPort.ifPresent(p -> {
            if (p < 0 || p > 65535) {
                throw new IllegalArgumentException("metrics-port: must be 0-65535, was " + p);
            }
        });
    }

    /** Without TLS, no per-model histograms. */
    public ServingOptions(ModelReadiness readiness, Optional<String> metricsToken, OptionalInt metricsPort) {
        this(readiness, metricsToken, metricsPort, Optional.empty(), ModelHistograms.none());
    }

    public static ServingOptions defaults() {
        return new ServingOptions(ModelReadiness.SERVABLE, Optional.empty(), OptionalInt.empty());
    }

    public ServingOptions withReadiness(ModelReadiness r) {
        return new ServingOptions(r, metricsToken, metricsPort, tls, modelHistograms);
    }

    public ServingOptions withMetrics(Optional<String> token, OptionalInt port) {
        return new ServingOptions(readiness, token, port, tls, modelHistograms);
    }

    public ServingOptions withTls(TlsConfig t) {
        return new ServingOptions(readiness, metricsToken, metricsPort, Optional.of(t), modelHistograms);
    }

    public ServingOptions withModelHistograms(ModelHistograms h) {
        return new ServingOptions(readiness, metricsToken, metricsPort, tls, h);
    }
}
