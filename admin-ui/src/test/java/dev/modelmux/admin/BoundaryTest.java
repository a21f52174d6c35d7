package dev.modelmux.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * admin-ui is written against its own read models and actions: nothing in it imports the node
 * (mesh-node), the cluster, the device pool, the repository, Hazelcast or ONNX Runtime, nor another
 * module's internal package; placement and admission are there for their types.
 */
class BoundaryTest {
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    private static final List<String> FORBIDDEN = List.of(
            "dev.modelmux.node.",
            "dev.modelmux.cluster.",
            "dev.modelmux.gpu.",
            "dev.modelmux.repo.",
            "com.hazelcast.",
            "ai.onnxruntime.",
            "dev.modelmux.placement.internal.",
            "dev.modelmux.admission.internal.");

    @Test
    void theModuleImportsNothingOfTheNodeOrItsInfrastructure() throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src", "main", "java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String text = Files.readString(f);
                Matcher m = IMPORT.matcher(text);
                while (m.find()) {
                    String imported = m.group(1);
                    if (FORBIDDEN.stream().anyMatch(imported::startsWith)) {
                        found.add(f + ": " + imported);
                    }
                }
                for (String prefix : FORBIDDEN) {
                    if (text.replaceAll("(?m)^import .*$", "").contains(prefix)) {
                        found.add(f + ": names " + prefix + " inline");
                    }
                }
            }
        }
        assertThat(found).isEmpty();
    }
}
