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
 */
public record PredictionLogConfig(long segmentBytes, Duration segmentAge, Duration retention, int bufferRecords) {

    public static final long DEFAULT_SEGMENT_BYTES = 64L << 20;
    public static final Duration DEFAULT_SEGMENT_AGE = Duration.ofHours(1);
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
    public static final int DEFAULT_BUFFER_RECORDS = 65_536;

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
    }

    public static PredictionLogConfig defaults() {
        return new PredictionLogConfig(
                DEFAULT_SEGMENT_BYTES, DEFAULT_SEGMENT_AGE, DEFAULT_RETENTION, DEFAULT_BUFFER_RECORDS);
    }
}
