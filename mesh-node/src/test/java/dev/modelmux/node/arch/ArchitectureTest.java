package dev.modelmux.node.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of ARCHITECTURE.md, checked on the compiled classes of every module (mesh-node's
 * test classpath holds them all): no module reaches into another's {@code internal} package, the pure
 * modules import no I/O library, dependencies between modules point down the architecture's table, and
 * neither the modules nor mesh-node's packages form a cycle.
 */
class ArchitectureTest {
    /** Each module's root package and the modules it may use (besides itself). */
    private static final Map<String, List<String>> MAY_USE = Map.of(
            "placement", List.of(),
            "admission", List.of(),
            "repo", List.of(),
            "gpu", List.of("repo"),
            "cluster", List.of("placement", "repo"),
            "admin", List.of("admission", "placement"),
            "node", List.of("placement", "admission", "repo", "gpu", "cluster", "admin"));

    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.modelmux");
    }

    @Test
    void noModuleUsesAnothersInternalPackage() {
        for (String module : MAY_USE.keySet()) {
            noClasses()
                    .that()
                    .resideOutsideOfPackage("dev.modelmux." + module + "..")
                    .should()
                    .dependOnClassesThat()
                    .resideInAPackage("dev.modelmux." + module + "..internal..")
                    .because("a module's internal package is its own")
                    .check(classes);
        }
    }

    @Test
    void placementAndAdmissionArePureJava() {
        noClasses()
                .that()
                .resideInAnyPackage("dev.modelmux.placement..", "dev.modelmux.admission..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.vertx..", "com.hazelcast..", "ai.onnxruntime..", "org.apache.commons.vfs2..")
                .because("placement and admission are pure decisions, testable with a fake clock")
                .check(classes);
    }

    @Test
    void modulesDependOnlyDownTheArchitecture() {
        for (Map.Entry<String, List<String>> m : MAY_USE.entrySet()) {
            for (String other : MAY_USE.keySet()) {
                if (other.equals(m.getKey()) || m.getValue().contains(other)) {
                    continue;
                }
                noClasses()
                        .that()
                        .resideInAPackage("dev.modelmux." + m.getKey() + "..")
                        .should()
                        .dependOnClassesThat()
                        .resideInAPackage("dev.modelmux." + other + "..")
                        .because(m.getKey() + " may use only " + m.getValue())
                        .check(classes);
            }
        }
    }

    @Test
    void modulesFormNoCycle() {
        slices().matching("dev.modelmux.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void meshNodesPackagesFormNoCycle() {
        slices().matching("dev.modelmux.node.(*)..").should().beFreeOfCycles().check(classes);
    }
}
