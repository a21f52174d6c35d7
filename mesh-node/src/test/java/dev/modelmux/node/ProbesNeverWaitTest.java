package dev.modelmux.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.catalog.ControlMode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.vertx.core.Future;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The health probes answer while a large scrape is being rendered, while it is being written to a
 * client that reads slowly, and while a rescan of thousands of models runs. No timing is asserted:
 * each probe is only bounded by PATIENCE, and what makes the check meaningful is a condition. The
 * render is held by a collector that waits for the test, so the probe is answered during the render by
 * construction; the write is held by a client that stops reading a body many times larger than every
 * buffer between the two (the kernel's send buffer at its largest, the client's fixed receive buffer,
 * Netty's write queue), so the response
 * cannot have ended; a rescan is only a race, so it is retried until one probe has been answered
 * while a rescan was still running (each rescan walks 3,000 model folders on the repository worker,
 * many times one loopback request; twenty rescans in a row losing that race do not happen).
 */
class ProbesNeverWaitTest {
    static final int MODELS = 3_000;

    @TempDir
    static Path dir;

    static NodeFixture fx;

    @BeforeAll
    static void start() {
        Path repo = MetricsScaleTest.repository(dir.resolve("repo"), MODELS);
        fx = NodeFixture.start(repo, dir.resolve("data"), 1L << 30, ControlMode.POLL);
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    static void probesAnswer() {
        assertThat(fx.client.get("/v2/health/live")).isEqualTo(new OipClient.Http(200, "{\"live\":true}"));
        assertThat(fx.client.get("/v2/health/ready")).isEqualTo(new OipClient.Http(200, "{\"ready\":true}"));
    }

    /** Makes the scrape large, and holds its first render until {@code release}. */
    static final class HeldFiller implements MultiCollector {
        final CountDownLatch rendering = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final int lines;
        private final GaugeSnapshot filler;

        /** {@code bytes}: about how large the filler makes the scrape (each line carries a label of 1 KB). */
        HeldFiller(long bytes) {
            lines = (int) (bytes / 1_000);
            String pad = "x".repeat(1_000);
            GaugeSnapshot.Builder b =
                    GaugeSnapshot.builder().name("probe_test_filler").help("makes the scrape large");
            for (int i = 0; i < lines; i++) {
                b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .value(i)
                        .labels(Labels.of("filler", pad + i))
                        .build());
            }
            filler = b.build();
        }

        @Override
        public MetricSnapshots collect() {
            rendering.countDown();
            try {
                release.await(NodeFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return MetricSnapshots.of(filler);
        }

        @Override
        public List<String> getPrometheusNames() {
            return List.of("probe_test_filler");
        }
    }

    @Test
    void probesAnswerWhileALargeScrapeIsRenderedAndWhileItIsWritten() throws Exception {
        Socket scraper = new Socket();
        scraper.setReceiveBufferSize(4096); // before connecting: the window the server may fill (no autotuning)
        scraper.connect(new InetSocketAddress("127.0.0.1", fx.node.httpPort()));
        long buffers = buffersBetween(scraper);
        HeldFiller filler = new HeldFiller(2 * buffers);
        ((PrometheusMeterRegistry) fx.node.metrics().registry())
                .getPrometheusRegistry()
                .register(filler);
        try (scraper) {
            scraper.setSoTimeout((int) NodeFixture.PATIENCE.toMillis());
            OutputStream out = scraper.getOutputStream();
            out.write(("GET /metrics HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer " + NodeFixture.ADMIN_TOKEN
                            + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();

            // 1. The scrape is being rendered (its collector waits for us): the probes answer.
            assertThat(filler.rendering.await(NodeFixture.PATIENCE.toMillis(), TimeUnit.MILLISECONDS))
                    .isTrue();
            probesAnswer();
            filler.release.countDown();

            // 2. The scrape is being written, to a client that reads its head and then stops: the probes answer.
            InputStream in = scraper.getInputStream();
            String head = readHead(in);
            assertThat(head).startsWith("HTTP/1.1 200");
            long length = Long.parseLong(header(head, "content-length"));
            assertThat(length).isGreaterThan(buffers);
            int first = in.read();
            assertThat(first).isNotNegative();
            probesAnswer();

            // The scrape then completes, whole.
            byte[] rest = in.readNBytes((int) length - 1);
            assertThat(rest).hasSize((int) length - 1);
            String body = (char) first + new String(rest, StandardCharsets.UTF_8);
            assertThat(body)
                    .contains("probe_test_filler{filler=\"" + "x".repeat(1_000) + (filler.lines - 1) + "\"}")
                    .contains("modelmux_device_memory_capacity_bytes{");
        } finally {
            filler.release.countDown();
            ((PrometheusMeterRegistry) fx.node.metrics().registry())
                    .getPrometheusRegistry()
                    .unregister(filler);
        }
    }

    @Test
    void probesAnswerWhileARescanRuns() {
        boolean answeredDuringARescan = false;
        for (int attempt = 0; attempt < 20 && !answeredDuringARescan; attempt++) {
            Future<Void> rescan = fx.node.rescan();
            probesAnswer();
            answeredDuringARescan = !rescan.isComplete();
            NodeFixture.await(rescan);
        }
        assertThat(answeredDuringARescan)
                .as("a probe answered while a rescan ran")
                .isTrue();
        probesAnswer();
    }

    /**
     * What the kernel and Netty can hold of a response {@code client} does not read, generously: the most the
     * server's send buffer may grow to, the client's fixed receive buffer, and 4 MiB for the server's write
     * queue and the chunks it has in flight.
     */
    static long buffersBetween(Socket client) throws IOException {
        return max("/proc/sys/net/ipv4/tcp_wmem") + client.getReceiveBufferSize() + (4L << 20);
    }

    private static long max(String file) throws IOException {
        Path p = Path.of(file);
        if (!Files.isReadable(p)) {
            return 8L << 20;
        }
        String[] v = Files.readString(p).trim().split("\\s+");
        return Long.parseLong(v[v.length - 1]);
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            byte[] sofar = b.toByteArray();
            int n = sofar.length;
            if (n >= 4
                    && sofar[n - 4] == '\r'
                    && sofar[n - 3] == '\n'
                    && sofar[n - 2] == '\r'
                    && sofar[n - 1] == '\n') {
                break;
            }
        }
        return b.toString(StandardCharsets.US_ASCII);
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
                return line.substring(colon + 1).trim();
            }
        }
        throw new AssertionError("no " + name + " in " + head);
    }
}
