package dev.modelmux.repo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.modelmux.repo.config.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExampleRepositoryTest {
    private static final List<Long> SIZES = List.of(64L << 10, 128L << 10, 256L << 10, 512L << 10, 1L << 20);

    @TempDir
    Path tmp;

    @Test
    void smallExampleScansCleanlyAndEveryArtifactMatchesItsConfig() throws Exception {
        ExampleRepository.Plan plan = ExampleRepository.plan(SIZES, minilmIfPresent());
        ExampleRepository.Result result = ExampleRepository.build(tmp.resolve("repo"), minilmDir(), plan);

        assertThat(result.skipped()).isFalse();
        try (ModelRepository repo =
                ModelRepository.open(tmp.resolve("repo").toString(), RepositoryOptions.defaults())) {
            assertThat(repo.listModels()).containsExactlyElementsOf(result.models());
            List<String> derived = new ArrayList<>();
            for (String name : repo.listModels()) {
                ModelEntry entry = repo.scan(name);
                assertThat(entry.configError()).as(name).isEmpty();
                assertThat(entry.servedVersions()).as(name).isNotEmpty();
                if (entry.config().isEmpty()) {
                    derived.add(name);
                }
                for (long v : entry.servedVersions()) {
                    Artifact a = repo.read(name, v);
                    OnnxModelInfo info = OnnxInspector.inspect(name, a.bytes(), ScanLimits.defaults());
                    ModelConfig config = entry.config().orElseGet(() -> ModelConfigs.derive(name, info));
                    assertThat(ModelConfigs.signatureMismatches(config, info.inputs(), info.outputs()))
                            .as(name)
                            .isEmpty();
                    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                            OrtSession s = OrtEnvironment.getEnvironment().createSession(a.bytes(), o)) {
                        assertThat(s.getInputNames())
                                .as(name)
                                .hasSize(info.inputs().size());
                    }
                }
            }
            assertThat(derived).containsExactly("mlp-256kb-3");
            assertThat(repo.scan("mlp-512kb-4").servedVersions()).containsExactly(1L, 2L);
            assertThat(repo.read("mlp-512kb-4", 1).sha256())
                    .isNotEqualTo(repo.read("mlp-512kb-4", 2).sha256());
            assertThat(repo.read("tiny-mlp", 1).size()).isBetween(90_000L, 110_000L);
            assertThat(repo.read("mlp-1mb-5", 1).size()).isBetween(900_000L, 1_200_000L);
            if (!plan.minilm().isEmpty()) {
                ModelConfig minilm = repo.scan("minilm-q").config().orElseThrow();
                assertThat(minilm.getMaxBatchSize()).isEqualTo(32);
                assertThat(minilm.getOutput(0).getName()).isEqualTo("last_hidden_state");
                assertThat(minilm.getOutput(0).getDimsList()).containsExactly(-1L, 384L);
            }
        }
    }

    @Test
    void theDecisionExampleScoresProbabilitiesAndShipsItsEndpoints() throws Exception {
        Path out = tmp.resolve("repo");
        ExampleRepository.build(out, tmp, ExampleRepository.plan(SIZES, List.of()));
        assertThat(out.resolve(ExampleRepository.ENDPOINTS_FILE)).hasContent(ExampleRepository.EXAMPLE_ENDPOINTS);
        try (ModelRepository repo = ModelRepository.open(out.toString(), RepositoryOptions.defaults())) {
            assertThat(repo.scan("risk").servedVersions()).containsExactly(1L, 2L);
            ModelConfig config = repo.scan("risk").config().orElseThrow();
            assertThat(config.getParametersMap().get("dataset").getStringValue())
                    .isEqualTo("credit-2026-10");
            assertThat(repo.scan("risk-fallback")
                            .config()
                            .orElseThrow()
                            .getParametersMap()
                            .get("feature_schema")
                            .getStringValue())
                    .isEqualTo("fs-3");
            for (byte[] model : List.of(
                    repo.read("risk", 1).bytes(),
                    repo.read("risk", 2).bytes(),
                    repo.read("risk-fallback", 1).bytes())) {
                float[] usual = score(model, 35, 40000, 50, 1);
                float[] risky = score(model, 70, 20000, 9000, 12);
                assertThat(usual).hasSize(2);
                assertThat(usual[0] + usual[1]).isCloseTo(1f, Offset.offset(1e-5f));
                // Below the example's review threshold (0.5) for the defaults, above its decline threshold (0.8) for
                // the risky one.
                assertThat(usual[1]).isBetween(0.1f, 0.5f);
                assertThat(risky[1]).isGreaterThan(0.8f);
            }
            assertThat(score(repo.read("risk", 1).bytes(), 35, 40000, 50, 1)[1])
                    .isNotEqualTo(score(repo.read("risk", 2).bytes(), 35, 40000, 50, 1)[1]);
        }
    }

    /** One feature vector through a model, in-process. */
    private static float[] score(byte[] model, float... features) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions();
                OrtSession s = env.createSession(model, o);
                OnnxTensor x = OnnxTensor.createTensor(env, new float[][] {features});
                OrtSession.Result r = s.run(Map.of("input", x))) {
            return ((float[][]) r.get(0).getValue())[0];
        }
    }

    @Test
    void rerunIsSkippedAndOutputIsDeterministic() throws Exception {
        ExampleRepository.Plan plan = ExampleRepository.plan(SIZES, List.of());
        Path a = tmp.resolve("a");
        ExampleRepository.build(a, tmp, plan);
        long before =
                Files.getLastModifiedTime(a.resolve("tiny-mlp/1/model.onnx")).toMillis();

        ExampleRepository.Result again = ExampleRepository.build(a, tmp, plan);

        assertThat(again.skipped()).isTrue();
        assertThat(Files.getLastModifiedTime(a.resolve("tiny-mlp/1/model.onnx")).toMillis())
                .isEqualTo(before);
        Path b = tmp.resolve("b");
        ExampleRepository.build(b, tmp, plan);
        for (String model : again.models()) {
            try (var files = Files.walk(a.resolve(model))) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    assertThat(Files.readAllBytes(b.resolve(a.relativize(f))))
                            .as(f.toString())
                            .isEqualTo(Files.readAllBytes(f));
                }
            }
        }
    }

    @Test
    void aChangedPlanRebuildsAndAMissingModelFolderIsRestored() throws Exception {
        Path out = tmp.resolve("repo");
        ExampleRepository.build(out, tmp, ExampleRepository.plan(SIZES, List.of()));
        deleteTree(out.resolve("tiny-mlp"));

        assertThat(ExampleRepository.build(out, tmp, ExampleRepository.plan(SIZES, List.of()))
                        .skipped())
                .isFalse();
        assertThat(out.resolve("tiny-mlp/1/model.onnx")).isRegularFile();
        List<Long> bigger = new ArrayList<>(SIZES);
        bigger.set(0, 96L << 10);
        assertThat(ExampleRepository.build(out, tmp, ExampleRepository.plan(bigger, List.of()))
                        .skipped())
                .isFalse();
        assertThat(out.resolve("mlp-96kb-1/1/model.onnx")).isRegularFile();
    }

    @Test
    void defaultPlanHasTheAdvertisedShape() {
        ExampleRepository.Plan plan = ExampleRepository.defaultPlan();
        List<ExampleRepository.Mlp> generated =
                plan.mlps().stream().filter(m -> m.name().startsWith("mlp-")).toList();
        assertThat(generated).hasSize(24);
        assertThat(generated).filteredOn(m -> !m.withConfig()).hasSize(2);
        assertThat(generated).filteredOn(m -> m.versions().size() == 2).hasSize(1);
        long total = generated.stream()
                .mapToLong(m -> m.weightBytes() * m.versions().size())
                .sum();
        assertThat(total).isBetween(250L << 20, 320L << 20); // plus ~113 MiB of MiniLM: about 400 MiB in all
        assertThat(generated.get(0).name()).isEqualTo("mlp-1mb-1");
        assertThat(generated.get(23).name()).isEqualTo("mlp-40mb-24");
        assertThat(plan.mlps()).extracting(ExampleRepository.Mlp::name).contains("tiny-mlp");
        assertThat(plan.minilm()).extracting(ExampleRepository.Source::model).containsExactly("minilm-q", "minilm");
    }

    private static Path minilmDir() {
        String dir = System.getProperty("modelmux.test.models");
        return dir == null ? Path.of("absent") : Path.of(dir);
    }

    private static List<ExampleRepository.Source> minilmIfPresent() {
        ExampleRepository.Source q = ExampleRepository.MINILM.get(0);
        return Files.isRegularFile(minilmDir().resolve(q.file())) ? List.of(q) : List.of();
    }

    private static void deleteTree(Path p) throws Exception {
        try (var walk = Files.walk(p)) {
            for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
