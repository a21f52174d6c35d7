package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceKind;
import dev.modelmux.gpu.DeviceSpec;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How modelmux measures a model's footprint.
 *
 * <p>CPU devices: the growth of the process's resident set ({@code VmRSS} in
 * {@code /proc/self/status}) across session creation and warm-up, taken while holding a
 * process-wide lock so that two loads never measure each other. Measured = max(RSS growth,
 * initializer bytes from the pre-scan): RSS growth undercounts when the allocator reuses memory
 * freed earlier, and the weights are a floor. Other threads grow the resident set during the
 * window too (requests on other models, the JVM heap): the growth of the JVM's own committed
 * memory is subtracted, and the result is capped at {@value #MAX_OVER_PREDICTION} times the
 * prediction (measured under load, a 300 KB model once read as 57 MB and could then never load).
 * Where {@code /proc} is absent the prediction stands in.
 *
 * <p>CUDA devices: ONNX Runtime's Java API reports no per-session device memory and the driver's
 * per-process figure would include every other model, so the prediction stands in, with the
 * initializer bytes as a floor.
 */
public final class RssFootprintMeter implements FootprintMeter {
    /** One lock per process: RSS is process-wide, so are its measurements. */
    private static final ReentrantLock MEASURING = new ReentrantLock();

    private static final Path STATUS = Path.of("/proc/self/status");
    /** The most a measurement may exceed max(prediction, weights) by. */
    static final long MAX_OVER_PREDICTION = 8;

    @Override
    public Measurement begin(DeviceSpec device) {
        if (device.kind() == DeviceKind.CUDA) {
            return (predicted, initializers) -> Math.max(predicted, initializers);
        }
        MEASURING.lock();
        long before;
        long jvmBefore = jvmCommittedBytes();
        try {
            before = residentBytes();
        } catch (RuntimeException e) {
            MEASURING.unlock();
            throw e;
        }
        return new Measurement() {
            @Override
            public long bytes(long predicted, long initializers) {
                long after = residentBytes();
                if (before < 0 || after < 0) {
                    return Math.max(predicted, initializers);
                }
                long jvmGrowth = Math.max(0, jvmCommittedBytes() - jvmBefore);
                return clamp(after - before - jvmGrowth, predicted, initializers);
            }

            @Override
            public void close() {
                MEASURING.unlock();
            }
        };
    }

    /** max(native growth, weights), at most {@link #MAX_OVER_PREDICTION} x max(prediction, weights). */
    static long clamp(long nativeGrowth, long predicted, long initializers) {
        long floor = Math.max(0, initializers);
        long base = Math.max(Math.max(predicted, initializers), 1);
        long cap = base > Long.MAX_VALUE / MAX_OVER_PREDICTION ? Long.MAX_VALUE : base * MAX_OVER_PREDICTION;
        return Math.max(floor, Math.min(nativeGrowth, cap));
    }

    /** Heap and non-heap memory the JVM has committed (its own share of the resident set's growth). */
    private static long jvmCommittedBytes() {
        MemoryMXBean m = ManagementFactory.getMemoryMXBean();
        return m.getHeapMemoryUsage().getCommitted() + m.getNonHeapMemoryUsage().getCommitted();
    }

    /** The process's resident set in bytes, or -1 where {@code /proc/self/status} cannot be read. */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    return parseKib(line.substring("VmRSS:".length()));
                }
            }
            return -1;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Parses "   123456 kB". */
    static long parseKib(String field) {
        String[] parts = field.trim().split("\\s+");
        if (parts.length != 2 || !parts[1].equals("kB")) {
            return -1;
        }
        return Math.multiplyExact(Long.parseLong(parts[0]), 1024L);
    }
}
