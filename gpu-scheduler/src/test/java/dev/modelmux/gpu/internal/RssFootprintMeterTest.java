package dev.modelmux.gpu.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RssFootprintMeterTest {

    @Test
    void parsesStatusField() {
        assertThat(RssFootprintMeter.parseKib("   123456 kB")).isEqualTo(123456L * 1024);
        assertThat(RssFootprintMeter.parseKib("\t3000000000 kB")).isEqualTo(3_000_000_000L * 1024);
        assertThat(RssFootprintMeter.parseKib("12 MB")).isEqualTo(-1);
    }

    @Test
    void measuredIsNeverBelowTheInitializers() {
        DeviceSpec cpu = new DeviceSpec("cpu0", DeviceKind.CPU, 0, 1L << 30, 1);
        try (FootprintMeter.Measurement m = new RssFootprintMeter().begin(cpu)) {
            assertThat(m.bytes(10, 5_000_000_000L)).isEqualTo(5_000_000_000L);
        }
        DeviceSpec gpu = new DeviceSpec("cuda0", DeviceKind.CUDA, 0, 1L << 30, 1);
        try (FootprintMeter.Measurement m = new RssFootprintMeter().begin(gpu)) {
            assertThat(m.bytes(7_000_000_000L, 5)).isEqualTo(7_000_000_000L);
        }
    }

    @Test
    void readsThisProcessWhereProcExists() {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "no /proc/self/status on this system");

        // A running JVM with ONNX Runtime on its class path holds far more than a MiB; VmRSS is in kB.
        long rss = RssFootprintMeter.residentBytes();
        assertThat(rss).isGreaterThan(1L << 20);
        assertThat(rss % 1024).isZero();
    }
}
