package dev.modelmux.gpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CudaDevicesTest {
    private static final long MIB = 1L << 20;

    @Test
    void parsesNvidiaSmiCsv() {
        String out = "0, 81559\n1, 143771\r\n";
        assertThat(CudaDevices.parse(out, 0.5, 3))
                .containsExactly(
                        new DeviceSpec("cuda0", DeviceKind.CUDA, 0, 81559 * MIB / 2, 3),
                        new DeviceSpec("cuda1", DeviceKind.CUDA, 1, (long) (143771 * MIB * 0.5), 3));
    }

    @Test
    void skipsLinesThatDoNotParse() {
        String out = "\n0, [N/A]\nNVIDIA-SMI has failed\n2, 16384\n-1, 5\n";
        assertThat(CudaDevices.parse(out, 1.0, 1)).extracting(DeviceSpec::id).containsExactly("cuda2");
        assertThat(CudaDevices.parse("", 1.0, 1)).isEmpty();
    }

    @Test
    void noCudaProviderMeansNoDevicesWithoutAskingTheDriver() {
        List<DeviceSpec> none = CudaDevices.detect(
                EnumSet.of(OrtProvider.CPU),
                () -> {
                    throw new AssertionError("nvidia-smi must not run without the CUDA provider");
                },
                0.9,
                1);
        assertThat(none).isEmpty();
    }

    @Test
    void providerWithoutDriverMeansNoDevices() {
        assertThat(CudaDevices.detect(EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA), Optional::empty, 0.9, 1))
                .isEmpty();
        assertThat(CudaDevices.detect(EnumSet.of(OrtProvider.CUDA), () -> Optional.of("0, 1024"), 0.9, 1))
                .extracting(DeviceSpec::capacityBytes)
                .containsExactly((long) (1024 * MIB * 0.9));
    }

    @Test
    void theCpuBuildFindsNoGpus() {
        // The default build runs on the CPU runtime, which has no CUDA provider.
        if (!OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA)) {
            assertThat(CudaDevices.detect()).isEmpty();
        }
    }

    @Test
    void fractionIsValidated() {
        assertThatThrownBy(() -> CudaDevices.parse("0, 1", 0, 1)).hasMessageContaining("fraction");
        assertThatThrownBy(() -> CudaDevices.parse("0, 1", 1.5, 1)).hasMessageContaining("fraction");
    }
}
