package dev.modelmux.node;

import static dev.modelmux.node.Requests.fp32;
import static dev.modelmux.node.Requests.ramp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modelmux.node.catalog.ControlMode;
import dev.modelmux.node.metrics.ModelHistograms;
import dev.modelmux.node.oip.GRPCInferenceServiceGrpcClient;
import dev.modelmux.node.oip.ModelInferResponse;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repository of thousands of generated models, hundreds of them called: the scrape holds exactly the
 * documented series per used model (README, Metrics: series per model), nothing for the models never
 * called, and full histograms only for the models {@code metrics-model-histograms} selects.
 */
class MetricsScaleTest {
    static final int REGISTERED = 3_000;
    static final int USED = 600;
    /** Lines per used model with the defaults (README: k). */
    static final int K = 14;
    /** Lines a model's full histograms add (README: h). */
    static final int H = 108;

    @TempDir
    static Path dir;

    static String name(int i) {
        return String.format("m-%04d", i);
    }

    /** {@code n} small MLPs (16 -> 4), each with its config. */
    static Path repository(Path root, int n) {
        TestRepo repo = new TestRepo(root);
        byte[] mlp = TestRepo.mlpBytes(16, 4, 1024, 1);
        for (int i = 0; i < n; i++) {
            repo.config(name(i), TestRepo.mlpConfig(name(i), 16, 4, 8)).file(name(i), 1, mlp);
        }
        return root;
    }

    static NodeFixture start(Path repo, Path data, String histograms) {
        NodeConfig c = NodeFixture.config(repo, data, 4L << 30, ControlMode.POLL);
        return new NodeFixture(NodeFixture.await(
                MeshNode.start(c.withServing(c.serving().withModelHistograms(ModelHistograms.parse(histograms))))));
    }

    /** Calls each model once, {@code inFlight} at a time, over gRPC. */
    static void call(NodeFixture fx, List<String> models, int inFlight) {
        for (int i = 0; i < models.size(); i += inFlight) {
            List<Future<OipClient.Reply<ModelInferResponse>>> batch = new ArrayList<>();
            for (String m : models.subList(i, Math.min(models.size(), i + inFlight))) {
                batch.add(fx.client.callAsync(
                        GRPCInferenceServiceGrpcClient.ModelInfer, fp32(m, "input", ramp(16, 1f), 1, 16), Map.of(), 0));
            }
            for (Future<OipClient.Reply<ModelInferResponse>> f : batch) {
                OipClient.Reply<ModelInferResponse> r = NodeFixture.await(f);
                assertThat(r.status()).as(r.message()).isEqualTo(GrpcStatus.OK);
            }
        }
    }

    /** Lines of the scrape per model label, and the lines without one. */
    record Scrape(Map<String, List<String>> byModel, List<String> other, int bytes) {
        static final Pattern MODEL = Pattern.compile("[{,]model=\"([^\"]+)\"");

        static Scrape of(NodeFixture fx) {
            OipClient.Http h = fx.client.getWithToken("/metrics");
            assertThat(h.status()).isEqualTo(200);
            Map<String, List<String>> byModel = new TreeMap<>();
            List<String> other = new ArrayList<>();
            for (String line : h.body().split("\n")) {
                Matcher m = MODEL.matcher(line);
                if (!line.startsWith("#") && m.find()) {
                    byModel.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(line);
                } else {
                    other.add(line);
                }
            }
            return new Scrape(byModel, other, h.body().getBytes(StandardCharsets.UTF_8).length);
        }

        int bytesOf(String model) {
            return byModel.getOrDefault(model, List.of()).stream()
                    .mapToInt(l -> l.length() + 1)
                    .sum();
        }
    }

    @Test
    void theScrapeHoldsTheDocumentedSeriesPerUsedModelAndTopNGetsFullHistograms() {
        Path repo = repository(dir.resolve("repo"), REGISTERED);
        try (NodeFixture fx = start(repo, dir.resolve("data-top"), "top:3")) {
            List<String> used = new ArrayList<>();
            for (int i = 0; i < USED; i++) {
                used.add(name(i * (REGISTERED / USED))); // spread over the repository
            }
            call(fx, used.subList(0, 10), 4);
            Scrape few = Scrape.of(fx);
            call(fx, used.subList(10, USED), 4);
            Scrape all = Scrape.of(fx);

            assertThat(all.byModel().keySet()).containsExactlyInAnyOrderElementsOf(used);
            for (String m : used) {
                assertThat(all.byModel().get(m)).as(m).hasSize(K);
            }
            // Nothing else grows with the models: the lines without a model label are the same at 10 and 600.
            assertThat(all.other()).hasSameSizeAs(few.other());
            int perModel = used.stream().mapToInt(all::bytesOf).max().orElseThrow();
            System.out.printf(
                    "MetricsScaleTest: %d registered, %d used: %d lines, %d bytes; per used model %d lines, at most"
                            + " %d bytes; %d lines without a model%n",
                    REGISTERED,
                    USED,
                    all.other().size() + USED * K,
                    all.bytes(),
                    K,
                    perModel,
                    all.other().size());
            assertThat(perModel).isLessThan(1_300);

            // The three busiest get full histograms once the periodic evaluation ran; the rest keep k lines.
            List<String> busiest = List.of(used.get(7), used.get(300), used.get(599));
            for (int round = 0; round < 3; round++) {
                call(fx, busiest, 3);
            }
            fx.node.metrics().maintain(); // what the node's worker does every minute
            Scrape top = Scrape.of(fx);
            for (String m : used) {
                assertThat(top.byModel().get(m)).as(m).hasSize(busiest.contains(m) ? K + H : K);
            }
        }
    }

    @Test
    void listedModelsAloneGetFullHistograms() {
        Path repo = repository(dir.resolve("repo-list"), 50);
        try (NodeFixture fx = start(repo, dir.resolve("data-list"), "m-0001,m-0003")) {
            call(fx, List.of(name(1), name(2), name(3), name(4)), 4);
            Scrape s = Scrape.of(fx);
            assertThat(s.byModel().keySet()).containsExactlyInAnyOrder(name(1), name(2), name(3), name(4));
            for (String m : s.byModel().keySet()) {
                assertThat(s.byModel().get(m))
                        .as(m)
                        .hasSize(Set.of(name(1), name(3)).contains(m) ? K + H : K);
            }
            assertThat(s.byModel().get(name(2)))
                    .filteredOn(l -> l.startsWith("modelmux_inference_request_duration_seconds_bucket"))
                    .extracting(l -> l.substring(l.indexOf("le="), l.indexOf('}')))
                    .containsExactly("le=\"0.01\"", "le=\"0.1\"", "le=\"1.0\"", "le=\"+Inf\"");
        }
    }
}
