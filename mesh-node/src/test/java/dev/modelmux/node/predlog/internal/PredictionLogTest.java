package dev.modelmux.node.predlog.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.modelmux.node.errors.ServingException;
import dev.modelmux.node.predlog.LogDurability;
import dev.modelmux.node.predlog.PredictionLogConfig;
import dev.modelmux.node.predlog.PredictionRecord;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The prediction log alone, in a temporary directory, on a fake clock. */
class PredictionLogTest {
    private static final long T0 = 1_700_000_000_000L;
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    @TempDir
    Path dir;

    private final AtomicLong clock = new AtomicLong(T0);
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private FilePredictionLog log;

    private FilePredictionLog open(PredictionLogConfig config) {
        log = FilePredictionLog.create(dir, config, registry, clock::get).start();
        return log;
    }

    @AfterEach
    void close() {
        if (log != null) {
            log.close();
        }
    }

    static PredictionRecord record(int i) {
        Map<String, Object> features = new LinkedHashMap<>();
        features.put("user.age", 30 + i);
        features.put("user.note", "line\nbreak \"quoted\"");
        return new PredictionRecord(
                i % 3 == 0 ? "infer" : "decide",
                "req-" + i,
                "acme",
                "fraud",
                "fraud-gbm",
                3,
                7,
                features,
                new float[] {0.25f, 0.1f},
                i % 5 == 0 ? Double.NaN : 0.75,
                "approve",
                1234 + i,
                "primary",
                false,
                T0 + i);
    }

    private static PredictionLogConfig config(long segmentBytes, Duration age, Duration retention, int buffer) {
        return new PredictionLogConfig(segmentBytes, age, retention, buffer);
    }

    /** Every line of every closed segment, oldest segment first. */
    private List<JsonObject> lines() throws IOException {
        List<JsonObject> out = new ArrayList<>();
        for (Path p : SegmentedLog.closedSegments(dir, FilePredictionLog.PREFIX)) {
            for (String l : Files.readAllLines(p, StandardCharsets.UTF_8)) {
                out.add(new JsonObject(l));
            }
        }
        return out;
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void everyAppendBeforeCloseIsWrittenOnceInOrderAsSnakeCaseJson() throws Exception {
        open(PredictionLogConfig.defaults());
        int n = 5_000;
        for (int i = 0; i < n; i++) {
            assertThat(log.append(record(i))).isTrue();
        }
        log.close();

        List<JsonObject> lines = lines();
        assertThat(lines).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(lines.get(i).getString("request_id")).isEqualTo("req-" + i);
        }
        JsonObject first = lines.get(1);
        assertThat(first.fieldNames())
                .containsExactly(
                        "kind",
                        "request_id",
                        "tenant",
                        "endpoint",
                        "model",
                        "version",
                        "policy_version",
                        "features",
                        "output",
                        "score",
                        "decision",
                        "latency_micros",
                        "ladder_step",
                        "fallback_used",
                        "at_millis");
        assertThat(first.getString("kind")).isEqualTo("decide");
        assertThat(first.getLong("version")).isEqualTo(3);
        assertThat(first.getLong("policy_version")).isEqualTo(7);
        assertThat(first.getJsonObject("features").getInteger("user.age")).isEqualTo(31);
        assertThat(first.getJsonObject("features").getString("user.note")).isEqualTo("line\nbreak \"quoted\"");
        assertThat(first.getJsonArray("output").getList()).containsExactly(0.25, 0.1);
        assertThat(first.getDouble("score")).isEqualTo(0.75);
        assertThat(first.getString("decision")).isEqualTo("approve");
        assertThat(first.getLong("latency_micros")).isEqualTo(1235);
        assertThat(first.getString("ladder_step")).isEqualTo("primary");
        assertThat(first.getBoolean("fallback_used")).isFalse();
        assertThat(first.getLong("at_millis")).isEqualTo(T0 + 1);
        assertThat(lines.get(0).containsKey("score")).isTrue();
        assertThat(lines.get(0).getValue("score")).as("NaN has no JSON form").isNull();
        assertThat(files())
                .singleElement()
                .satisfies(f -> assertThat(f).matches("predictions-1700000000000-000000\\.jsonl"));
        assertThat(log.dropped()).isZero();
    }

    @Test
    void rotationBySizeSplitsTheLogIntoSortedSegmentsAndLosesNothing() throws Exception {
        open(config(8 * 1024, Duration.ofHours(1), Duration.ZERO, 1024));
        int n = 2_000;
        for (int i = 0; i < n; i++) {
            clock.set(T0 + i);
            while (!log.append(record(i))) {
                log.flush().get(30, TimeUnit.SECONDS); // the writer is behind: let it catch up (no record is lost)
            }
        }
        log.close();

        List<String> files = files();
        assertThat(files.size()).isGreaterThan(10);
        assertThat(files).allMatch(f -> f.matches("predictions-[0-9]{13}-[0-9]{6}\\.jsonl"));
        List<JsonObject> lines = lines();
        assertThat(lines).hasSize(n);
        for (int i = 0; i < n; i++) {
            assertThat(lines.get(i).getString("request_id")).isEqualTo("req-" + i);
        }
        for (Path p : SegmentedLog.closedSegments(dir, FilePredictionLog.PREFIX)) {
            // A segment is closed by the record that reaches the limit, so it exceeds it by less than one record.
            assertThat(Files.size(p)).isLessThan(8 * 1024 + 1024);
        }
        assertThat(registry.get("modelmux_prediction_log_segments_closed")
                        .functionCounter()
                        .count())
                .isEqualTo(files.size());
    }

    @Test
    void aSegmentIsOpenUntilItsAgeIsReachedAndClosedSegmentsPastTheRetentionAreDeleted() throws Exception {
        open(config(64L << 20, Duration.ofHours(1), Duration.ofDays(7), 1024));
        log.append(record(1));
        log.flush().get(30, TimeUnit.SECONDS);
        assertThat(files()).containsExactly("predictions-1700000000000-000000.jsonl.open");

        clock.set(T0 + Duration.ofHours(1).toMillis());
        log.flush().get(30, TimeUnit.SECONDS);
        assertThat(files()).containsExactly("predictions-1700000000000-000000.jsonl");

        long day2 = T0 + Duration.ofDays(2).toMillis();
        clock.set(day2);
        log.append(record(2));
        log.flush().get(30, TimeUnit.SECONDS);
        clock.set(day2 + Duration.ofHours(1).toMillis());
        log.flush().get(30, TimeUnit.SECONDS);
        assertThat(files())
                .containsExactly("predictions-1700000000000-000000.jsonl", "predictions-" + day2 + "-000001.jsonl");

        // Eight days after the first segment closed (seven and more after the second's close: kept).
        clock.set(T0 + Duration.ofHours(1).toMillis() + Duration.ofDays(7).toMillis() + 1);
        log.flush().get(30, TimeUnit.SECONDS);
        assertThat(files()).containsExactly("predictions-" + day2 + "-000001.jsonl");
        assertThat(lines())
                .singleElement()
                .satisfies(l -> assertThat(l.getString("request_id")).isEqualTo("req-2"));
    }

    @Test
    void aFullBufferNeverBlocksAndCountsWhatItDrops() throws Exception {
        open(config(64L << 20, Duration.ofHours(1), Duration.ZERO, 4));
        log.segments().pauseWriter();
        List<Boolean> accepted = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            accepted.add(log.append(record(i)));
        }
        assertThat(accepted).containsExactly(true, true, true, true, false, false, false, false, false, false);
        assertThat(log.dropped()).isEqualTo(6);
        assertThat(registry.scrape()).contains("modelmux_prediction_log_dropped_total 6");
        log.segments().resumeWriter();
        log.close();

        assertThat(lines())
                .extracting(l -> l.getString("request_id"))
                .containsExactly("req-0", "req-1", "req-2", "req-3");
        assertThat(log.append(record(11))).as("after close").isFalse();
        assertThat(log.dropped()).isEqualTo(7);
    }

    @Test
    void theBufferIsBoundedInBytesAsWellAsRecords() throws Exception {
        // Room for many records by count, for a few by bytes.
        open(new PredictionLogConfig(64L << 20, Duration.ofHours(1), Duration.ZERO, 1000).withBufferBytes(4096));
        log.segments().pauseWriter();
        int accepted = 0;
        for (int i = 0; i < 100; i++) {
            accepted += log.append(record(i)) ? 1 : 0;
            assertThat(log.segments().queuedBytes()).isLessThanOrEqualTo(4096);
        }
        assertThat(accepted).isBetween(4, 40);
        assertThat(log.dropped()).isEqualTo(100 - accepted);
        assertThat(registry.scrape()).contains("modelmux_prediction_log_queue_bytes ");
        log.segments().resumeWriter();
        log.close();
        assertThat(lines()).hasSize(accepted);
        assertThat(log.segments().queuedBytes()).isZero();
    }

    @Test
    void aStringLongerThanTheLimitIsCutInTheLog() throws Exception {
        open(PredictionLogConfig.defaults());
        PredictionRecord r = record(1);
        log.append(new PredictionRecord(
                r.kind(),
                r.requestId(),
                "t".repeat(10_000),
                r.endpoint(),
                r.model(),
                r.version(),
                r.policyVersion(),
                Map.of("k".repeat(5000), 1.0),
                r.output(),
                r.score(),
                r.decision(),
                r.latencyMicros(),
                r.ladderStep(),
                r.fallbackUsed(),
                r.atMillis()));
        log.close();
        JsonObject l = lines().get(0);
        assertThat(l.getString("tenant")).hasSize(4096 + 3).endsWith("...");
        assertThat(l.getJsonObject("features").fieldNames()).allMatch(k -> k.length() == 4099);
    }

    /** Complete lines of every segment, the open one included. */
    private long linesOnDisk() throws IOException {
        long n = 0;
        for (Path p : SegmentedLog.allSegments(dir, FilePredictionLog.PREFIX)) {
            n += Files.readAllLines(p, StandardCharsets.UTF_8).size();
        }
        return n;
    }

    @Test
    void underAlwaysADurableAppendCompletesOnceFsyncedAndOneFsyncCoversEveryRecordQueuedMeanwhile() throws Exception {
        open(PredictionLogConfig.defaults().withDurability(LogDurability.ALWAYS, Duration.ofMillis(200)));
        log.segments().pauseWriter();
        List<CompletableFuture<Void>> acks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            acks.add(log.appendDurable(record(i)));
        }
        assertThat(acks).noneMatch(CompletableFuture::isDone);
        log.segments().resumeWriter();
        CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        // Acknowledged means in the file and fsynced: the open segment holds every record.
        assertThat(linesOnDisk()).isEqualTo(200);
        assertThat(log.written()).isEqualTo(200);
        assertThat(log.segments().fsyncs()).as("group commit").isBetween(1L, 2L);
        assertThat(registry.scrape()).contains("modelmux_prediction_log_fsyncs_total");

        log.close();
        CompletableFuture<Void> late = log.appendDurable(record(201));
        assertThat(late).isCompletedExceptionally();
        assertThatThrownBy(late::join)
                .hasCauseInstanceOf(ServingException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void underIntervalTheOpenSegmentIsWrittenAndFsyncedEveryIntervalWithoutAFlush() throws Exception {
        open(PredictionLogConfig.defaults().withDurability(LogDurability.INTERVAL, Duration.ofMillis(200)));
        for (int i = 0; i < 10; i++) {
            assertThat(log.append(record(i))).isTrue();
        }
        clock.addAndGet(250);
        Awaitility.await().atMost(PATIENCE).until(() -> linesOnDisk() == 10);
        Awaitility.await().atMost(PATIENCE).until(() -> log.segments().fsyncs() >= 1);
        assertThat(log.written()).isEqualTo(10);
    }

    @Test
    void underNoneTheOpenSegmentWaitsForTheSecondsFlush() throws Exception {
        open(PredictionLogConfig.defaults().withDurability(LogDurability.NONE, Duration.ofMillis(200)));
        for (int i = 0; i < 10; i++) {
            assertThat(log.append(record(i))).isTrue();
        }
        clock.addAndGet(250);
        Thread.sleep(300); // the writer wakes at least once meanwhile (it parks at most a second)
        assertThat(linesOnDisk()).isZero();
        clock.addAndGet(1000);
        Awaitility.await().atMost(PATIENCE).until(() -> linesOnDisk() == 10);
        assertThat(log.segments().fsyncs()).isZero();
    }

    @Test
    void aStartClosesASegmentAnEarlierRunLeftOpenCuttingItsTornLastLine() throws Exception {
        Path left = dir.resolve("predictions-1600000000000-000004.jsonl.open");
        Files.writeString(
                left, "{\"request_id\":\"a\"}\n{\"request_id\":\"b\"}\n{\"request_id\":\"c", StandardCharsets.UTF_8);
        Files.writeString(
                dir.resolve("predictions-1600000000001-000005.jsonl.open"), "{\"request_", StandardCharsets.UTF_8);

        open(PredictionLogConfig.defaults());
        log.append(record(1));
        log.close();

        assertThat(files())
                .containsExactly("predictions-1600000000000-000004.jsonl", "predictions-1700000000000-000005.jsonl");
        assertThat(lines()).extracting(l -> l.getString("request_id")).containsExactly("a", "b", "req-1");
    }
}
