package dev.modelmux.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.LintResult;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code helm lint --strict} of the chart with its defaults and with each shipped value set. Bad
 * values are checked by {@link ChartTemplateTest}: Helm's lint mode only logs a template's
 * {@code fail}, where {@code helm template} and {@code helm install} stop on it.
 */
class ChartLintTest {
    @TempDir
    Path tmp;

    @Test
    void defaultsLintClean() {
        assertClean(HelmChart.lint(null, tmp));
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpu", "api-discovery", "autoscaling", "tls"})
    void valueSetLintsClean(String name) {
        assertClean(HelmChart.lint(HelmChart.values(name), tmp));
    }

    private static void assertClean(LintResult result) {
        assertThat(result.isFailed())
                .as("lint failed: %s", result.getMessages())
                .isFalse();
        assertThat(result.getMessages()).noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]"));
    }
}
