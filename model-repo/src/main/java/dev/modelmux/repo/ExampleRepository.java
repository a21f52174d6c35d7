package dev.modelmux.repo;

import dev.modelmux.repo.internal.ExampleConfigs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Assembles the example repository that {@code ./modelmux serve} uses: the MiniLM encoders shipped
 * on Maven Central, with configs written from what their graphs declare, and generated MLPs of
 * 1-40 MB (most with a config, two derived at load, one with two versions) plus a ~100 KB
 * {@code tiny-mlp} for benchmarks, and the decision example (two versions of a {@code risk} model, a
 * {@code risk-fallback}, and the {@code endpoints.yaml} that routes to them). Output is deterministic
 * (fixed seeds). A marker file records what was built; a rerun with the same generator, plan and
 * inputs returns at once.
 */
public final class ExampleRepository {
    /** Bump when what is generated changes, so that existing example repositories are rebuilt. */
    public static final int GENERATOR_VERSION = 2;

    public static final String MARKER = ".modelmux-example";
    /** The default MLP artifact sizes in MiB: 24 models, about 280 MiB, spread over 1-40. */
    public static final List<Double> DEFAULT_SIZES_MIB = List.of(
            1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 14.0, 16.0, 18.0, 20.0,
            24.0, 28.0, 32.0, 40.0);
    /** The MiniLM files looked for in the MiniLM folder, and the model each becomes. */
    public static final List<Source> MINILM =
            List.of(new Source("minilm-q", "all-minilm-l6-v2-q.onnx"), new Source("minilm", "all-minilm-l6-v2.onnx"));

    /** The decision example's scoring model (versions 1 and 2) and its fallback: 4 raw features in, 2 probabilities out. */
    public static final String RISK = "risk";

    public static final String RISK_FALLBACK = "risk-fallback";
    /** The endpoints file written at the repository's root (not a model folder, so scans skip it). */
    public static final String ENDPOINTS_FILE = "endpoints.yaml";
    /** What the risk models' config parameters declare, and the example endpoint's metadata requires. */
    public static final Map<String, String> RISK_METADATA =
            Map.of("dataset", "credit-2026-10", "feature_schema", "fs-3");
    /** Brings the raw features (age, income, amount, 24 h count) to about unit scale inside the models. */
    private static final float[] RISK_SCALE = {1 / 50f, 1 / 50_000f, 1 / 500f, 1 / 5f};
    /**
     * Seeds picked so that the untrained weights still behave like a risk score: the feature defaults
     * score about 0.3-0.4 (approve), an old customer's 9,000 transfer after 12 more today above 0.8
     * (decline).
     */
    private static final Map<Long, Long> RISK_SEEDS = Map.of(1L, 7_187L, 2L, 7_830L);

    private static final long RISK_FALLBACK_SEED = 7_303L;

    private static final int MLP_INPUT = 16;
    private static final int MLP_OUTPUT = 4;

    /** A model copied from a file in the MiniLM folder. */
    public record Source(String model, String file) {}

    /**
     * One generated MLP.
     *
     * @param versions the version folders written (each version seeded differently)
     */
    public record Mlp(
            String name,
            long weightBytes,
            int depth,
            int inputDim,
            int width,
            long seed,
            boolean withConfig,
            boolean dynamicBatching,
            List<Long> versions) {
        public Mlp {
            ModelNames.validate(name);
            versions = List.copyOf(versions);
        }

        OnnxModelBuilder.Mlp builder(long version) {
            OnnxModelBuilder.Mlp b = OnnxModelBuilder.mlp()
                    .inputDim(inputDim)
                    .outputDim(MLP_OUTPUT)
                    .depth(depth)
                    .seed(seed * 1000 + version);
            return width > 0 ? b.width(width) : b.weightBytes(weightBytes);
        }
    }

    /** What to build: the MLPs, and the MiniLM sources (absent files are an error). */
    public record Plan(List<Mlp> mlps, List<Source> minilm) {
        public Plan {
            mlps = List.copyOf(mlps);
            minilm = List.copyOf(minilm);
        }
    }

    /** What a build did. */
    public record Result(boolean skipped, List<String> models, long totalBytes) {
        public Result {
            models = List.copyOf(models);
        }
    }

    private ExampleRepository() {}

    /** The plan {@code ./modelmux serve} uses. */
    public static Plan defaultPlan() {
        return plan(
                DEFAULT_SIZES_MIB.stream().map(mib -> (long) (mib * (1 << 20))).toList(), MINILM);
    }

    /**
     * MLPs named {@code mlp-<size>mb-<n>}, one per size (at least 4); the 3rd and 8th (when
     * present) have no config, the 4th has versions 1 and 2 (all served); plus {@code tiny-mlp}.
     */
    public static Plan plan(List<Long> sizesBytes, List<Source> minilm) {
        if (sizesBytes.size() < 4) {
            throw new IllegalArgumentException("give at least 4 sizes, so every kind of example model is built");
        }
        List<Mlp> mlps = new ArrayList<>();
        for (int i = 0; i < sizesBytes.size(); i++) {
            long bytes = sizesBytes.get(i);
            long mib = Math.max(1, Math.round(bytes / (double) (1 << 20)));
            String name = "mlp-" + (bytes < (1 << 20) ? (bytes >> 10) + "kb" : mib + "mb") + "-" + (i + 1);
            boolean withConfig = i != 2 && i != 7;
            List<Long> versions = i == 3 ? List.of(1L, 2L) : List.of(1L);
            mlps.add(new Mlp(name, bytes, 2, MLP_INPUT, 0, 1000L + i, withConfig, i % 3 == 0, versions));
        }
        mlps.add(new Mlp("tiny-mlp", 0, 1, 16, 1200, 7L, true, false, List.of(1L)));
        return new Plan(mlps, minilm);
    }

    /** Builds {@code plan} into {@code outDir}, or returns at once if the marker says it is there. */
    public static Result build(Path outDir, Path minilmDir, Plan plan) throws IOException, ArtifactRejectedException {
        Files.createDirectories(outDir);
        String marker = marker(plan, minilmDir);
        Path markerFile = outDir.resolve(MARKER);
        List<String> names = modelNames(plan);
        if (Files.isRegularFile(markerFile)
                && Files.readString(markerFile).equals(marker)
                && names.stream().allMatch(n -> Files.isDirectory(outDir.resolve(n)))
                && Files.isRegularFile(outDir.resolve(ENDPOINTS_FILE))) {
            return new Result(true, names, 0);
        }
        Files.deleteIfExists(markerFile);
        long total = 0;
        for (Source s : plan.minilm()) {
            total += writeMinilm(outDir, minilmDir, s);
        }
        for (Mlp m : plan.mlps()) {
            total += writeMlp(outDir, m);
        }
        total += writeDecisionExample(outDir);
        write(markerFile, marker.getBytes(StandardCharsets.UTF_8));
        return new Result(false, names, total);
    }

    /** {@code ExampleRepository <outDir> <minilmDir>}: builds the default example repository. */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: ExampleRepository <outDir> <minilmDir>");
            System.exit(2);
        }
        try {
            Result r = build(Path.of(args[0]), Path.of(args[1]), defaultPlan());
            System.out.println(
                    r.skipped()
                            ? "example repository is up to date (" + r.models().size() + " models)"
                            : "example repository written: " + r.models().size() + " models, " + (r.totalBytes() >> 20)
                                    + " MiB");
        } catch (IOException | ArtifactRejectedException | RuntimeException e) {
            System.err.println("cannot build the example repository: " + e.getMessage());
            System.exit(1);
        }
    }

    private static long writeMinilm(Path outDir, Path minilmDir, Source s)
            throws IOException, ArtifactRejectedException {
        Path file = minilmDir.resolve(s.file());
        if (!Files.isRegularFile(file)) {
            throw new IOException(
                    s.file() + " is not in the MiniLM folder (unpack dev.langchain4j:langchain4j-embeddings-"
                            + s.file().replace(".onnx", "") + " into it)");
        }
        byte[] bytes = Files.readAllBytes(file);
        String config =
                ExampleConfigs.minilm(s.model(), OnnxInspector.inspect(s.model(), bytes, ScanLimits.defaults()));
        Path dir = cleanModelFolder(outDir, s.model());
        write(dir.resolve("config.pbtxt"), config.getBytes(StandardCharsets.UTF_8));
        write(dir.resolve("1").resolve("model.onnx"), bytes);
        return bytes.length;
    }

    private static long writeMlp(Path outDir, Mlp m) throws IOException {
        Path dir = cleanModelFolder(outDir, m.name());
        if (m.withConfig()) {
            String config = ExampleConfigs.mlp(
                    m.name(),
                    m.inputDim(),
                    MLP_OUTPUT,
                    m.dynamicBatching(),
                    m.versions().size() > 1);
            write(dir.resolve("config.pbtxt"), config.getBytes(StandardCharsets.UTF_8));
        }
        long total = 0;
        for (long v : m.versions()) {
            byte[] bytes = m.builder(v).build();
            write(dir.resolve(Long.toString(v)).resolve("model.onnx"), bytes);
            total += bytes.length;
        }
        return total;
    }

    /**
     * The decision example: {@code risk} versions 1 and 2 (Gemm/Relu MLPs ending in a Softmax,
     * different seeds), {@code risk-fallback} (one Gemm and a Softmax), and {@code endpoints.yaml}
     * defining the endpoint {@code example} over them: a 90/10 canary, feature defaults, thresholds
     * and a ladder.
     */
    private static long writeDecisionExample(Path outDir) throws IOException {
        long total = 0;
        Path risk = cleanModelFolder(outDir, RISK);
        write(
                risk.resolve("config.pbtxt"),
                ExampleConfigs.scorer(RISK, 4, 2, RISK_METADATA).getBytes(StandardCharsets.UTF_8));
        for (long v : List.of(1L, 2L)) {
            byte[] bytes = OnnxModelBuilder.mlp()
                    .inputDim(4)
                    .width(16)
                    .depth(1)
                    .outputDim(2)
                    .inputScale(RISK_SCALE)
                    .softmax(true)
                    .seed(RISK_SEEDS.get(v))
                    .build();
            write(risk.resolve(Long.toString(v)).resolve("model.onnx"), bytes);
            total += bytes.length;
        }
        Path fallback = cleanModelFolder(outDir, RISK_FALLBACK);
        write(
                fallback.resolve("config.pbtxt"),
                ExampleConfigs.scorer(RISK_FALLBACK, 4, 2, RISK_METADATA).getBytes(StandardCharsets.UTF_8));
        byte[] bytes = OnnxModelBuilder.mlp()
                .inputDim(4)
                .depth(0)
                .outputDim(2)
                .inputScale(RISK_SCALE)
                .softmax(true)
                .seed(RISK_FALLBACK_SEED)
                .build();
        write(fallback.resolve("1").resolve("model.onnx"), bytes);
        total += bytes.length;
        write(outDir.resolve(ENDPOINTS_FILE), EXAMPLE_ENDPOINTS.getBytes(StandardCharsets.UTF_8));
        return total;
    }

    /** The endpoints of the example repository. */
    public static final String EXAMPLE_ENDPOINTS = """
      # Written by modelmux's example repository generator. `./modelmux serve` publishes it when it
      # serves the example repository without --endpoints (see README: Endpoints and the decision API).
      endpoints:
        - name: example
          metadata: {dataset: credit-2026-10, feature_schema: fs-3}
          policy:
            type: canary
            targets:
              - {model: risk, version: 1, weight: 90}
              - {model: risk, version: 2, weight: 10}
          features:
            refs: [user.age, user.income, txn.amount, txn.count_24h]
            defaults: {user.age: 35, user.income: 40000, txn.amount: 50, txn.count_24h: 1}
            timeout_ms: 20
            cache_staleness_ms: 1000
          decision:
            output: output
            index: 1
            thresholds:
              - {min: 0.8, decision: decline}
              - {min: 0.5, decision: review}
            default: approve
            explanations_ref_prefix: "expl://example/"
          ladder:
            fallback: {model: risk-fallback, version: 1}
            rules:
              - {feature: txn.amount, above: 5000, decision: review, score: 0.6}
            safe_default: {decision: review, score: 0.5}
            deadline_margin_ms: 5
          circuit_breaker: {failure_rate_percent: 50, minimum_calls: 10, window: 20, open_ms: 5000}
          log: {sample_rate: 1.0}
      """;

    /** An empty folder for one model; whatever an earlier build left there goes. */
    private static Path cleanModelFolder(Path outDir, String model) throws IOException {
        Path dir = outDir.resolve(ModelNames.validate(model));
        if (Files.isDirectory(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        return Files.createDirectories(dir);
    }

    /** Writes through a temporary file and a rename, so a server polling the folder never sees half a file. */
    private static void write(Path target, byte[] bytes) throws IOException {
        Files.createDirectories(target.getParent());
        Path tmp = target.resolveSibling(".tmp-" + target.getFileName());
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static List<String> modelNames(Plan plan) {
        List<String> names = new ArrayList<>();
        plan.minilm().forEach(s -> names.add(s.model()));
        plan.mlps().forEach(m -> names.add(m.name()));
        names.add(RISK);
        names.add(RISK_FALLBACK);
        return names.stream().sorted().toList();
    }

    /** The generator version, the plan and the MiniLM inputs' sizes: a rerun with the same marker has nothing to do. */
    private static String marker(Plan plan, Path minilmDir) throws IOException {
        StringBuilder b = new StringBuilder();
        b.append("generator=").append(GENERATOR_VERSION).append('\n');
        for (Source s : plan.minilm()) {
            Path f = minilmDir.resolve(s.file());
            b.append("minilm=")
                    .append(s)
                    .append(' ')
                    .append(Files.isRegularFile(f) ? Files.size(f) : -1)
                    .append('\n');
        }
        plan.mlps().forEach(m -> b.append("mlp=").append(m).append('\n'));
        return "generator=" + GENERATOR_VERSION + "\nplan=" + sha256(b.toString()) + "\nmodels="
                + String.join(",", modelNames(plan)) + "\n";
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
