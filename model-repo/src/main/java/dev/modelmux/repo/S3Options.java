package dev.modelmux.repo;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How an {@code s3://bucket/prefix/} repository is reached. Credentials are never part of it: they
 * come from the AWS SDK's default chain (environment, system properties, profile, web identity
 * for Kubernetes service accounts, container and instance roles).
 *
 * @param endpoint an S3-compatible endpoint (MinIO, Ceph, R2, GCS interoperability); empty: the
 *     standard {@code AWS_ENDPOINT_URL_S3} or {@code AWS_ENDPOINT_URL} variable, else AWS itself
 * @param region the signing region; empty: the SDK's region chain ({@code AWS_REGION}, profile),
 *     else {@code us-east-1} (with cross-region access on AWS)
 * @param pathStyle address the bucket as {@code endpoint/bucket/key} rather than {@code bucket.endpoint/key}
 *     (most self-hosted stores want it)
 * @param cacheDir where downloaded artifacts are kept; empty: {@code .modelmux/s3-cache}
 * @param cacheBytes the local artifact cache's size limit (least recently used evicted first)
 * @param timeout the longest wait for one request's answer (listing, config, a stalled download)
 */
public record S3Options(
        Optional<URI> endpoint,
        Optional<String> region,
        boolean pathStyle,
        Optional<Path> cacheDir,
        long cacheBytes,
        Duration timeout) {
    public static final long DEFAULT_CACHE_BYTES = 2L << 30;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    public S3Options {
        Objects.requireNonNull(endpoint, "s3-endpoint");
        Objects.requireNonNull(region, "s3-region");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(timeout, "s3-timeout");
        endpoint.ifPresent(S3Options::checkEndpoint);
        region.ifPresent(r -> {
            if (!r.matches("[a-z0-9-]{1,64}")) {
                throw new IllegalArgumentException("s3-region: not a region name (e.g. eu-west-1), was '" + r + "'");
            }
        });
        if (cacheBytes < 0) {
            throw new IllegalArgumentException("s3-cache-size: must be >= 0, was " + cacheBytes);
        }
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("s3-timeout: must be > 0, was " + timeout);
        }
    }

    public static S3Options defaults() {
        return new S3Options(
                Optional.empty(), Optional.empty(), false, Optional.empty(), DEFAULT_CACHE_BYTES, DEFAULT_TIMEOUT);
    }

    /** Parses an endpoint URL ({@code http(s)://host[:port]}), naming {@code key} when it is wrong. */
    public static URI endpoint(String key, String value) {
        URI uri;
        try {
            uri = URI.create(value.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": not a URL (e.g. https://minio.example:9000)");
        }
        try {
            checkEndpoint(uri);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(key + ": " + e.getMessage());
        }
        return uri;
    }

    private static void checkEndpoint(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("s3-endpoint: must be an http(s)://host[:port] URL");
        }
        if (uri.getUserInfo() != null || uri.getQuery() != null) {
            throw new IllegalArgumentException(
                    "s3-endpoint: must not carry credentials or a query (credentials come from the SDK's chain)");
        }
    }

    public S3Options withEndpoint(URI e) {
        return new S3Options(Optional.of(e), region, pathStyle, cacheDir, cacheBytes, timeout);
    }

    public S3Options withRegion(String r) {
        return new S3Options(endpoint, Optional.of(r), pathStyle, cacheDir, cacheBytes, timeout);
    }

    public S3Options withPathStyle(boolean p) {
        return new S3Options(endpoint, region, p, cacheDir, cacheBytes, timeout);
    }

    public S3Options withCacheDir(Path dir) {
        return new S3Options(endpoint, region, pathStyle, Optional.of(dir), cacheBytes, timeout);
    }

    public S3Options withCacheBytes(long bytes) {
        return new S3Options(endpoint, region, pathStyle, cacheDir, bytes, timeout);
    }

    public S3Options withTimeout(Duration t) {
        return new S3Options(endpoint, region, pathStyle, cacheDir, cacheBytes, t);
    }
}
