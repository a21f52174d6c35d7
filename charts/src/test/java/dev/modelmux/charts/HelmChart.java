package dev.modelmux.charts;

import com.marcnuri.helm.DryRun;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart under charts/modelmux, linted and rendered by the Helm library inside helm-java
 * (Helm 3 compiled to a native library: no helm binary, no cluster, no network).
 */
final class HelmChart {
    static final Path CHART = Path.of("modelmux").toAbsolutePath();
    static final String RELEASE = "mm";
    static final String NAMESPACE = "inference";
    static final String KUBE_VERSION = "1.30.0";

    private HelmChart() {}

    /** A value set shipped beside the chart (charts/modelmux/ci/NAME-values.yaml). */
    static Path values(String name) {
        return CHART.resolve("ci").resolve(name + "-values.yaml");
    }

    /** {@code helm template mm charts/modelmux -n inference -f ... --set k=v ...}, parsed. */
    static Manifests template(Path valuesFile, Map<String, Object> sets) {
        return Manifests.parse(render(valuesFile, sets));
    }

    static String render(Path valuesFile, Map<String, Object> sets) {
        var cmd = new Helm(CHART)
                .template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION);
        if (valuesFile != null) {
            cmd = cmd.withValuesFile(valuesFile);
        }
        for (Map.Entry<String, Object> e : sets.entrySet()) {
            cmd = cmd.set(e.getKey(), e.getValue());
        }
        return cmd.call();
    }

    /** The release notes ({@code NOTES.txt}) of a client-only dry-run install: no cluster is contacted. */
    static String notes(Path valuesFile, Map<String, Object> sets) {
        var cmd = new Helm(CHART)
                .install()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withKubeVersion(KUBE_VERSION)
                .clientOnly()
                .dryRun()
                .withDryRunOption(DryRun.CLIENT);
        if (valuesFile != null) {
            cmd = cmd.withValuesFile(valuesFile);
        }
        for (Map.Entry<String, Object> e : sets.entrySet()) {
            cmd = cmd.set(e.getKey(), e.getValue());
        }
        String out = cmd.call().getOutput();
        int at = out.indexOf("NOTES:");
        return at < 0 ? "" : out.substring(at);
    }

    /**
     * {@code helm lint --strict} with a value set. The embedded lint reads only the chart's own
     * values.yaml, so the chart is copied to {@code work} with the value set merged into its
     * values.yaml (maps merge key by key, anything else replaces), as {@code helm lint -f} would.
     */
    static LintResult lint(Path valuesFile, Path work) {
        Path copy = work.resolve("modelmux");
        copyTree(CHART, copy);
        if (valuesFile != null) {
            Yaml yaml = new Yaml(new LoaderOptions());
            Map<String, Object> merged = merge(load(yaml, CHART.resolve("values.yaml")), load(yaml, valuesFile));
            DumperOptions dump = new DumperOptions();
            dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
            write(copy.resolve("values.yaml"), new Yaml(dump).dump(merged));
        }
        return new Helm(copy).lint().strict().call();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> overlay) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        overlay.forEach((k, v) -> {
            Object b = out.get(k);
            out.put(
                    k,
                    b instanceof Map && v instanceof Map ? merge((Map<String, Object>) b, (Map<String, Object>) v) : v);
        });
        return out;
    }

    private static Map<String, Object> load(Yaml yaml, Path file) {
        try {
            Map<String, Object> m = yaml.load(Files.readString(file));
            return m == null ? Map.of() : m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void copyTree(Path from, Path to) {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
