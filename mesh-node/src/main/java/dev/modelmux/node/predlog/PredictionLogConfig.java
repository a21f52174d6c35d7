package dev.modelmux.node.predlog;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the prediction log (and the label log, which shares its machinery).
 *
 * @param segmentBytes a segment is closed once it holds this many bytes ({@code prediction-log-segment-bytes})
 * @param segmentAge   ... or once it is this old ({@code prediction-log-segment-age})
 * @param retention    closed segments last written longer ago are deleted; 0 keeps them all
 *                     ({@code prediction-log-retention})
 * @param bufferRecords records waiting for the writer at most; more are dropped and counted
 *                     ({@code prediction-log-buffer})
 * @param bufferBytes  ... and at most this many bytes of them (estimated as encoded)
 *                     ({@code prediction-log-buffer-bytes})
 * @param durability   when a record is on disk ({@code log-durability})
 * @param fsyncInterval the group commit's period under {@link LogDurability#INTERVAL}
 *                     ({@code log-fsync-interval})
 */
public record PredictionLogConfig(
        long segmentBytes,
        Duration segmentAge,
        Duration retention,
        int bufferRecords,
        long bufferBytes,
        LogDurability durability,
        Duration fsyncInterval) {

    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    public static final Duration DEFAULT_SEGMENT_AGE = Duration.ofHours(1);
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    public static final int DEFAULT_BUFFER_RECORDS = 65_536;
    public static final long DEFAULT_BUFFER_BYTES = 64L << 20;
    public static final LogDurability DEFAULT_DURABILITY = LogDurability.INTERVAL;
    public static final Duration DEFAULT_FSYNC_INTERVAL = Duration.ofMillis(200);

    public PredictionLogConfig {
        if (segmentBytes < 1) {
            throw new IllegalArgumentException("prediction-log-segment-bytes: must be >= 1, was " + segmentBytes);
        }
        Objects.requireNonNull(segmentAge, "prediction-log-segment-age");
        if (segmentAge.isZero() || segmentAge.isNegative()) {
            throw new IllegalArgumentException("prediction-log-segment-age: must be > 0, was " + segmentAge);
        }
        Objects.requireNonNull(retention, "prediction-log-retention");
        if (retention.isNegative()) {
            throw new IllegalArgumentException(
                    "prediction-log-retention: must be >= 0 (0 keeps every segment), was " + retention);
        }
        if (bufferRecords < 1 || bufferRecords > (1 << 24)) {
            throw new IllegalArgumentException("prediction-log-buffer: must be in [1, 16777216], was " + bufferRecords);
        }
        if (bufferBytes < 1024) {
            throw new IllegalArgumentException("prediction-log-buffer-bytes: must be >= 1KiB, was " + bufferBytes);
        }
        Objects.requireNonNull(durability, "log-durability");
        Objects.requireNonNull(fsyncInterval, "log-fsync-interval");
        if (fsyncInterval.toMillis() < 1 || fsyncInterval.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("log-fsync-interval: must be in [1ms, 1m], was " + fsyncInterval);
        }
    }

    /** The default buffer bytes, durability and fsync interval. */
    public PredictionLogConfig(long segmentBytes, Duration segmentAge, Duration retention, int bufferRecords) {
        this(
                segmentBytes,
                segmentAge,
                retention,
                bufferRecords,
                DEFAULT_BUFFER_BYTES,
                DEFAULT_DURABILITY,
                DEFAULT_FSYNC_INTERVAL);
    }

    public static PredictionLogConfig defaults() {
        return new PredictionLogConfig(
                DEFAULT_SEGMENT_BYTES, DEFAULT_SEGMENT_AGE, DEFAULT_RETENTION, DEFAULT_BUFFER_RECORDS);
    }

    public PredictionLogConfig withDurability(LogDurability d, Duration interval) {
        return new PredictionLogConfig(segmentBytes, segmentAge, retention, bufferRecords, bufferBytes, d, interval);
    }

    public PredictionLogConfig withBufferBytes(long bytes) {
        return new PredictionLogConfig(
                segmentBytes, segmentAge, retention, bufferRecords, bytes, durability, fsyncInterval);
    }
}
