package dev.modelmux.gpu;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds this machine's NVIDIA GPUs for the pool: only when ONNX Runtime's CUDA execution provider
 * is on the classpath ({@code -Pcuda}, onnxruntime_gpu), each GPU from the driver's
 * {@code nvidia-smi} becomes a device {@code cuda<index>} whose capacity is its total memory times
 * a fraction (the rest is left to the CUDA context, workspace and other processes). No provider,
 * no {@code nvidia-smi}, or a driver that does not answer in time: no GPUs. Never fails.
 */
public final class CudaDevices {
    private static final Logger log = LoggerFactory.getLogger(CudaDevices.class);

    /** Share of each GPU's memory that the ledger may hand out. */
    public static final double DEFAULT_MEMORY_FRACTION = 0.85;
    /** Inferences run at once per GPU. */
    public static final int DEFAULT_CONCURRENCY = 2;

    static final long SMI_TIMEOUT_SECONDS = 10;
    static final List<String> SMI_COMMAND =
            List.of("nvidia-smi", "--query-gpu=index,memory.total", "--format=csv,noheader,nounits");

    private CudaDevices() {}

    /** The GPUs of this machine, with the default fraction and concurrency. */
    public static List<DeviceSpec> detect() {
        return detect(DEFAULT_MEMORY_FRACTION, DEFAULT_CONCURRENCY);
    }

    public static List<DeviceSpec> detect(double memoryFraction, int concurrency) {
        return detect(OrtEnvironment.getAvailableProviders(), CudaDevices::runNvidiaSmi, memoryFraction, concurrency);
    }

    /**
     * @param providers the execution providers ONNX Runtime offers
     * @param nvidiaSmi the output of {@link #SMI_COMMAND}, or empty when it could not be run
     */
    static List<DeviceSpec> detect(
            Set<OrtProvider> providers, Supplier<Optional<String>> nvidiaSmi, double memoryFraction, int concurrency) {
        checkFraction(memoryFraction);
        if (!providers.contains(OrtProvider.CUDA)) {
            return List.of();
        }
        List<DeviceSpec> gpus = nvidiaSmi
                .get()
                .map(out -> parse(out, memoryFraction, concurrency))
                .orElse(List.of());
        if (gpus.isEmpty()) {
            log.warn("the CUDA provider is present but no GPU was found (nvidia-smi absent or silent)");
        }
        return gpus;
    }

    /**
     * Parses {@code nvidia-smi --query-gpu=index,memory.total --format=csv,noheader,nounits}: one
     * line per GPU, {@code "<index>, <MiB>"}. Lines that do not parse ({@code [N/A]}, blanks) are
     * skipped.
     */
    public static List<DeviceSpec> parse(String output, double memoryFraction, int concurrency) {
        checkFraction(memoryFraction);
        List<DeviceSpec> gpus = new ArrayList<>();
        for (String line : output.split("\\R")) {
            String[] fields = line.split(",");
            if (fields.length != 2) {
                continue;
            }
            try {
                int index = Integer.parseInt(fields[0].trim());
                long mib = Long.parseLong(fields[1].trim());
                long capacity = (long) (Math.multiplyExact(mib, 1L << 20) * memoryFraction);
                if (index < 0 || capacity <= 0) {
                    continue;
                }
                gpus.add(new DeviceSpec("cuda" + index, DeviceKind.CUDA, index, capacity, concurrency));
            } catch (NumberFormatException | ArithmeticException e) {
                log.debug("nvidia-smi line skipped: {}", line);
            }
        }
        return List.copyOf(gpus);
    }

    /** Runs {@link #SMI_COMMAND}; empty if it is absent, fails, or does not answer in time. */
    static Optional<String> runNvidiaSmi() {
        Process p;
        try {
            p = new ProcessBuilder(SMI_COMMAND)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException absent) {
            return Optional.empty();
        }
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(
                    () -> {
                        try {
                            in.transferTo(out);
                        } catch (IOException ignored) {
                            // the process went away; what was read is used
                        }
                    },
                    "modelmux-nvidia-smi");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(SMI_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                log.warn("nvidia-smi did not answer within {} s; assuming no GPUs", SMI_TIMEOUT_SECONDS);
                return Optional.empty();
            }
            reader.join(TimeUnit.SECONDS.toMillis(SMI_TIMEOUT_SECONDS));
            return p.exitValue() == 0 ? Optional.of(out.toString(StandardCharsets.UTF_8)) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static void checkFraction(double f) {
        if (!(f > 0 && f <= 1)) {
            throw new IllegalArgumentException("GPU memory fraction must be in (0, 1], was " + f);
        }
    }
}
