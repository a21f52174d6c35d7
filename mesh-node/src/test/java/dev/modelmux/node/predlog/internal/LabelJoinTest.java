package dev.modelmux.node.predlog.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.predlog.JoinLabelsCommand;
import dev.modelmux.node.predlog.PredictionLogConfig;
import dev.modelmux.node.predlog.PredictionRecord;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labels joined to logged predictions by the join-labels command, over real log files. */
class LabelJoinTest {
    private static final long T0 = 1_700_000_000_000L;

    @TempDir
    Path data;

    private final AtomicLong clock = new AtomicLong(T0);

    private static PredictionRecord prediction(String kind, String id, double score, long at) {
        return new PredictionRecord(
                kind,
                id,
                "acme",
                "fraud",
                kind.equals("shadow") ? "fraud-next" : "fraud-gbm",
                2,
                5,
                Map.of("user.age", 31.0),
                List.of(score),
                score,
                score > 0.5 ? "review" : "approve",
                900,
                "primary",
                false,
                at);
    }

    private void writeLogs(List<PredictionRecord> predictions, List<LabelRecord> labels, PredictionLogConfig config) {
        FilePredictionLog p = FilePredictionLog.create(data.resolve("predictions"), config, null, clock::get)
                .start();
        LabelLog l = LabelLog.create(data.resolve("labels"), config, null, clock::get)
                .start();
        predictions.forEach(r -> assertThat(p.append(r)).isTrue());
        labels.forEach(r -> assertThat(l.append(r)).isTrue());
        p.close();
        l.close();
    }

    private int join(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = JoinLabelsCommand.run(List.of(args), new PrintStream(out), new PrintStream(err), clock::get);
        assertThat(err.toString(StandardCharsets.UTF_8)).as("stderr").isEmpty();
        return status;
    }

    private static List<JsonObject> rows(Path file) throws Exception {
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                .map(JsonObject::new)
                .toList();
    }

    @Test
    void eachLabelledPredictionGetsItsLatestLabelAndUnknownIdsAreIgnored() throws Exception {
        // Small segments, so both logs span several files.
        PredictionLogConfig config = new PredictionLogConfig(200, Duration.ofHours(1), Duration.ZERO, 1024);
        writeLogs(
                List.of(
                        prediction("decide", "r1", 0.9, T0 + 1),
                        prediction("decide", "r2", 0.1, T0 + 2),
                        prediction("shadow", "r2", 0.7, T0 + 2),
                        prediction("decide", "r3", 0.4, T0 + 3),
                        prediction("infer", "r4", 0.2, T0 + 4)),
                List.of(
                        new LabelRecord("r1", 1, T0 + 100),
                        new LabelRecord("r2", "fraud", T0 + 200),
                        new LabelRecord("r2", "legit", T0 + 300), // a correction: latest wins
                        new LabelRecord("r1", 0, T0 + 50), // arrives last but is older: loses
                        new LabelRecord("nobody", 1, T0 + 100),
                        new LabelRecord("r4", 2.5, T0 + 400)),
                config);
        assertThat(SegmentedLog.closedSegments(data.resolve("predictions"), "predictions"))
                .hasSizeGreaterThan(1);
        assertThat(SegmentedLog.closedSegments(data.resolve("labels"), "labels"))
                .hasSizeGreaterThan(1);

        Path out = data.resolve("out/dataset.jsonl");
        assertThat(join("--data-dir", data.toString(), "--out", out.toString())).isZero();

        List<JsonObject> rows = rows(out);
        assertThat(rows)
                .extracting(r -> r.getString("request_id") + "/" + r.getString("kind") + "=" + r.getValue("label"))
                .containsExactly("r1/decide=1", "r2/decide=legit", "r2/shadow=legit", "r4/infer=2.5");
        JsonObject r1 = rows.get(0);
        assertThat(r1.getString("model")).isEqualTo("fraud-gbm");
        assertThat(r1.getDouble("score")).isEqualTo(0.9);
        assertThat(r1.getString("decision")).isEqualTo("review");
        assertThat(r1.getJsonObject("features").getDouble("user.age")).isEqualTo(31.0);
        assertThat(r1.getLong("at_millis")).isEqualTo(T0 + 1);
        assertThat(r1.getLong("label_at_ms")).isEqualTo(T0 + 100);
        assertThat(rows.get(1).getString("model")).isEqualTo("fraud-gbm");
        assertThat(rows.get(2).getString("model")).isEqualTo("fraud-next");
        assertThat(Files.exists(data.resolve("out/dataset.jsonl.tmp"))).isFalse();

        // --since keeps predictions at or after the instant; a relative one counts back from now.
        Path recent = data.resolve("recent.jsonl");
        assertThat(join("--data-dir", data.toString(), "--out", recent.toString(), "--since", Long.toString(T0 + 2)))
                .isZero();
        assertThat(rows(recent)).extracting(r -> r.getString("request_id")).containsExactly("r2", "r2", "r4");
        clock.set(T0 + 1_000 + 4);
        assertThat(join("--data-dir", data.toString(), "--out", recent.toString(), "--since", "1s"))
                .isZero();
        assertThat(rows(recent)).extracting(r -> r.getString("request_id")).containsExactly("r4");
        assertThat(join(
                        "--data-dir",
                        data.toString(),
                        "--out",
                        recent.toString(),
                        "--since",
                        "2023-11-14T22:13:20.003Z"))
                .isZero();
        assertThat(rows(recent)).extracting(r -> r.getString("request_id")).containsExactly("r4");
    }

    @Test
    void corruptLinesAreSkippedAndCountedNotFatal() throws Exception {
        writeLogs(
                List.of(prediction("decide", "r1", 0.9, T0 + 1), prediction("decide", "r2", 0.1, T0 + 2)),
                List.of(new LabelRecord("r1", 1, T0 + 100), new LabelRecord("r2", 0, T0 + 100)),
                PredictionLogConfig.defaults());
        Path segment = SegmentedLog.closedSegments(data.resolve("predictions"), "predictions")
                .get(0);
        // A damaged block between two good lines: invalid UTF-8, then a line that is not JSON.
        List<String> good = Files.readAllLines(segment, StandardCharsets.UTF_8);
        ByteArrayOutputStream damaged = new ByteArrayOutputStream();
        damaged.write((good.get(0) + "\n").getBytes(StandardCharsets.UTF_8));
        damaged.write(new byte[] {'{', '"', 'k', (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', '}', '\n'});
        damaged.write("{\"kind\": \"decide\", trailing garbage\n".getBytes(StandardCharsets.UTF_8));
        damaged.write((good.get(1) + "\n").getBytes(StandardCharsets.UTF_8));
        Files.write(segment, damaged.toByteArray());
        Path labels =
                SegmentedLog.closedSegments(data.resolve("labels"), "labels").get(0);
        Files.write(labels, new byte[] {(byte) 0xFE, '\n'}, StandardOpenOption.APPEND);

        Path out = data.resolve("dataset.jsonl");
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        assertThat(JoinLabelsCommand.run(
                        List.of("--data-dir", data.toString(), "--out", out.toString()),
                        new PrintStream(stdout),
                        System.err,
                        clock::get))
                .isZero();
        assertThat(rows(out))
                .extracting(r -> r.getString("request_id") + "=" + r.getValue("label"))
                .containsExactly("r1=1", "r2=0");
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .contains("2 rows written")
                .contains("3 unreadable lines skipped");
    }

    @Test
    void openSegmentsAreReadOnlyWhenAskedAndBadArgumentsAreRefused() throws Exception {
        FilePredictionLog p = FilePredictionLog.create(
                        data.resolve("predictions"), PredictionLogConfig.defaults(), null, clock::get)
                .start();
        LabelLog l = LabelLog.create(data.resolve("labels"), PredictionLogConfig.defaults(), null, clock::get)
                .start();
        try {
            p.append(prediction("decide", "live", 0.3, T0));
            l.append(new LabelRecord("live", "ok", T0));
            p.flush().get();
            l.flush().get();
            // A torn line at the end of the open segment, as a reader may see mid-write.
            Path open = SegmentedLog.allSegments(data.resolve("predictions"), "predictions")
                    .get(0);
            assertThat(open.getFileName().toString()).endsWith(".open");
            Files.writeString(open, "{\"kind\":\"decide\",\"request_id\":\"li", StandardOpenOption.APPEND);

            Path out = data.resolve("d.jsonl");
            assertThat(join("--data-dir", data.toString(), "--out", out.toString()))
                    .isZero();
            assertThat(rows(out)).isEmpty();
            assertThat(join("--data-dir", data.toString(), "--out", out.toString(), "--include-open"))
                    .isZero();
            assertThat(rows(out))
                    .extracting(r -> r.getString("request_id") + "=" + r.getValue("label"))
                    .containsExactly("live=ok");
        } finally {
            p.close();
            l.close();
        }

        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err);
        assertThat(JoinLabelsCommand.run(List.of("--data-dir", data.toString()), System.out, e, clock::get))
                .isEqualTo(2);
        assertThat(JoinLabelsCommand.run(List.of("--out", "x", "--since", "yesterday"), System.out, e, clock::get))
                .isEqualTo(2);
        assertThat(JoinLabelsCommand.run(List.of("--out", "x", "--colour"), System.out, e, clock::get))
                .isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("--out FILE is required")
                .contains("--since: 'yesterday'")
                .contains("unknown argument '--colour'");
    }
}
