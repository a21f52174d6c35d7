package dev.modelmux.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short chaos run: three node processes (in network namespaces when the test runs as root,
 * else on loopback, which the report says), checked traffic throughout, then kill -9 of the node
 * holding most models (restarted), SIGSTOP of a node for 5 s, and a 10 s partition of a node's
 * mesh link (namespaces only). Prints the report; asserts only what must hold however loaded the
 * machine is: no wrong answer, no call without an answer by its deadline, and convergence after
 * each fault. Timings are printed, never asserted.
 */
class ChaosShortTest {
    static final Duration PATIENCE = Duration.ofMinutes(2);

    @TempDir
    Path tmp;

    @Test
    void everyAnswerIsCorrectNoneIsLostAndTheMeshConvergesAfterEachFault() throws Exception {
        ChaosBench.Options o = new ChaosBench.Options(
                System.getProperty("java.class.path"),
                tmp,
                ChaosBench.SHORT_FAULTS,
                20,
                4,
                20,
                10,
                5,
                PATIENCE.toMillis(),
                Boolean.getBoolean("chaos.loopback"));
        ChaosBench.Report r = ChaosBench.run(o, System.out::println);
        System.out.println(r.table());
        for (ChaosBench.Row row : r.rows()) {
            assertThat(row.wrong()).as(row.fault() + ": wrong answers").isZero();
            assertThat(row.lost())
                    .as(row.fault() + ": calls without an answer by their deadline")
                    .isZero();
            assertThat(row.convergedOk())
                    .as(row.fault() + ": converged after the fault: " + row.converged())
                    .isTrue();
        }
        assertThat(r.rows()).as("rows").hasSizeGreaterThan(1);
        assertThat(r.rows().get(0).correct()).as("answers before the faults").isPositive();
    }
}
