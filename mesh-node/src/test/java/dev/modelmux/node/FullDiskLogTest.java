package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.repo.ExampleRepository;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prediction log on a real full filesystem: a node in its own JVM whose data dir is an 8 MiB
 * tmpfs mounted in a private mount namespace ({@code unshare -rm}, no root needed); the test reaches
 * the files through {@code /proc/<pid>/root} and fills the tmpfs to the brim. Endpoint {@code
 * example} follows the node's {@code always}; endpoint {@code relaxed} says {@code interval}. While
 * the disk is full, {@code always} decisions are refused with 507 and a reason, {@code interval}
 * decisions are answered and their records counted as lost, a label post is refused with 507 too
 * (labels follow the node's {@code always}); the failed segment is closed (no
 * {@code .open} left behind, no file multiplies); once space returns, writing resumes by itself, and
 * the counters are exact: written equals the lines in the files, written plus lost equals the
 * records appended.
 */
class FullDiskLogTest {
    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();

    private static boolean unshareWorks(Path dir) {
        try {
            Process p = new ProcessBuilder(
                            "unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs \"$0\"", dir.toString())
                    .redirectErrorStream(true)
                    .start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private int decide(ChildNode node, String endpoint, String id, StringBuilder body) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + "/api/v1/decide"))
                        .header("content-type", "application/json")
                        .timeout(Duration.ofSeconds(60))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"request_id\":\"" + id + "\",\"entity_id\":\"u-"
                                + id + "\",\"model_name\":\"" + endpoint + "\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        if (body != null) {
            body.setLength(0);
            body.append(r.body());
        }
        return r.statusCode();
    }

    private HttpResponse<String> postLabel(ChildNode node, String requestId) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + "/api/v1/labels"))
                        .header("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN)
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"labels\": [{\"request_id\": \"" + requestId + "\", \"label\": 1}]}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private double metric(ChildNode node, String name) throws Exception {
        String text = http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort + "/metrics"))
                                .header("authorization", "Bearer " + NodeFixture.ADMIN_TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.eE+-]+)$")
                .matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + name + " in /metrics: "
                    + text.lines().filter(l -> l.contains("prediction_log")).toList()
                    + text.substring(0, Math.min(300, text.length())));
        }
        return Double.parseDouble(m.group(1));
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static long lines(Path dir) throws IOException {
        long n = 0;
        for (String f : files(dir)) {
            String text = Files.readString(dir.resolve(f), StandardCharsets.UTF_8);
            n += text.chars().filter(c -> c == '\n').count();
        }
        return n;
    }

    /** Writes zeros until the filesystem refuses. */
    private static void fill(Path file) {
        byte[] chunk = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
            }
        } catch (IOException full) {
            // no space left: what we wanted
        }
        byte[] one = new byte[512];
        try (OutputStream out = Files.newOutputStream(file.resolveSibling(file.getFileName() + "-tail"))) {
            while (true) {
                out.write(one);
                out.flush();
            }
        } catch (IOException full) {
            // every last block taken
        }
    }

    @Test
    void aFullDiskRefusesAlwaysDecisionsCountsTheOthersLossesExactlyAndRecoversByItself() throws Exception {
        Path data = Files.createDirectories(tmp.resolve("data"));
        Assumptions.assumeTrue(
                unshareWorks(Files.createDirectories(tmp.resolve("probe"))),
                "needs unprivileged user and mount namespaces (unshare -rm) to mount a small tmpfs");
        Path example = tmp.resolve("example");
        ExampleRepository.build(
                example, tmp, ExampleRepository.plan(List.of(64L << 10, 64L << 10, 64L << 10, 64L << 10), List.of()));
        String text = ExampleRepository.EXAMPLE_ENDPOINTS;
        String entry = text.substring(text.indexOf("  - name: example"));
        Path endpoints = Files.writeString(
                tmp.resolve("endpoints.yaml"),
                text
                        + entry.replace("- name: example", "- name: relaxed")
                                .replace("log: {sample_rate: 1.0}", "log: {sample_rate: 1.0, durability: interval}"));
        List<String> args = DurableLogTest.nodeArgs(example, data, "full", "--log-durability", "always");
        args.set(args.indexOf("--endpoints") + 1, endpoints.toString());
        List<String> wrapper = List.of(
                "unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=8m tmpfs \"$0\" && exec \"$@\"", data.toString());
        long appended = 0;
        try (ChildNode node = ChildNode.start(tmp.resolve("node"), wrapper, List.of(), args)) {
            Path inside = Path.of("/proc", Long.toString(node.pid()), "root")
                    .resolve(data.toString().substring(1));
            Path predictions = inside.resolve("predictions");
            for (int i = 0; i < 20; i++) {
                assertThat(decide(node, "example", "before-" + i, null)).isEqualTo(200);
                assertThat(decide(node, "relaxed", "before-r-" + i, null)).isEqualTo(200);
                appended += 2;
            }
            assertThat(files(predictions)).hasSize(1).allMatch(f -> f.endsWith(".jsonl.open"));

            fill(inside.resolve("filler"));
            // The open segment's last page may still take a record or two; then the disk refuses.
            StringBuilder body = new StringBuilder();
            int status = 200;
            for (int i = 0; i < 200 && status == 200; i++) {
                status = decide(node, "example", "full-" + i, body);
                appended++;
            }
            assertThat(status).as(body.toString()).isEqualTo(507);
            assertThat(body.toString()).contains("No space left on device").contains("predictions log");
            for (int i = 0; i < 10; i++) {
                assertThat(decide(node, "example", "refused-" + i, body))
                        .as(body.toString())
                        .isEqualTo(507);
                appended++;
                // interval: answered; its record counted as lost
                assertThat(decide(node, "relaxed", "relaxed-" + i, null)).isEqualTo(200);
                appended++;
            }
            // A label post under always: refused as well (its log shares the disk).
            HttpResponse<String> label = postLabel(node, "before-0");
            assertThat(label.statusCode()).as(label.body()).isEqualTo(507);
            assertThat(label.body()).contains("No space left on device").contains("\"accepted\":0");
            assertThat(metric(node, "modelmux_prediction_log_failing")).isEqualTo(1.0);
            assertThat(metric(node, "modelmux_prediction_log_write_errors_total"))
                    .isGreaterThanOrEqualTo(21);
            // The failed segment was closed, not left .open; retries made no new files.
            List<String> during = files(predictions);
            assertThat(during).as("%s", during).hasSize(1).allMatch(f -> f.endsWith(".jsonl"));

            // Space returns: writing resumes by itself.
            Files.delete(inside.resolve("filler"));
            Files.delete(inside.resolve("filler-tail"));
            long[] resumed = {0};
            Awaitility.await("always decisions answered again")
                    .atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        resumed[0]++;
                        return decide(node, "example", "after-" + resumed[0], null) == 200;
                    });
            appended += resumed[0];
            for (int i = 0; i < 10; i++) {
                assertThat(decide(node, "relaxed", "after-r-" + i, null)).isEqualTo(200);
                assertThat(decide(node, "example", "after-x-" + i, null)).isEqualTo(200);
                appended += 2;
            }
            // The label log backs off on its own clock: it may refuse once more before it retries.
            Awaitility.await("a label post answered again")
                    .atMost(NodeFixture.PATIENCE)
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> postLabel(node, "before-1").statusCode() == 200);
            assertThat(lines(inside.resolve("labels")))
                    .as("answered once fsynced")
                    .isEqualTo(1);
            // The last always decision's fsync covered everything before it: counters are exact.
            assertThat(metric(node, "modelmux_prediction_log_failing")).isZero();
            double written = metric(node, "modelmux_prediction_log_written_total");
            double lost = metric(node, "modelmux_prediction_log_write_errors_total");
            assertThat(metric(node, "modelmux_prediction_log_dropped_total")).isZero();
            assertThat((long) written).isEqualTo(lines(predictions));
            assertThat((long) (written + lost)).isEqualTo(appended);
            assertThat(files(predictions)).hasSize(2);
            node.terminate();
            assertThat(node.awaitExit(60)).isZero();
        }
    }
}
