package dev.modelmux.gpu.internal;

import dev.modelmux.gpu.DeviceSpec;
import dev.modelmux.gpu.ModelKey;
import dev.modelmux.gpu.ModelLoadException.Kind;
import dev.modelmux.gpu.RunMemoryExceededException;
import dev.modelmux.gpu.TensorData;
import dev.modelmux.repo.RunSizes;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A loaded model's run limit on its device, applied before ONNX Runtime runs: ONNX Runtime's Java API
 * offers no bound on what a CPU run allocates (no arena configuration, no allocator registration), so
 * an output the graph sizes from the request's values is sized here from those values, and a run whose
 * largest such output exceeds the limit is refused with {@link RunMemoryExceededException}.
 */
final class RunBudget {
    private static final Logger log = LoggerFactory.getLogger(RunBudget.class);
    private static final long MIB = 1L << 20;

    private final ModelKey key;
    private final RunSizes sizes;
    private final long limitBytes;

    private RunBudget(ModelKey key, RunSizes sizes, long limitBytes) {
        this.key = key;
        this.sizes = sizes;
        this.limitBytes = limitBytes;
    }

    /**
     * The budget of {@code key} on {@code device}; refuses the load (ARTIFACT) when the graph's constants
     * alone size an output past the limit, since every run, warm-up included, would allocate it.
     */
    static RunBudget of(ModelKey key, RunSizes sizes, long limitBytes, DeviceSpec device) {
        Optional<RunSizes.Estimate> fixed = sizes.largest(RunSizes.Inputs.NONE);
        if (fixed.isPresent() && fixed.get().bytes() > limitBytes) {
            throw ModelLoader.failure(
                    Kind.ARTIFACT,
                    key,
                    fixed.get().describe() + " allocates " + mib(fixed.get().bytes()) + " MiB on every run, more than"
                            + " the run limit of " + mib(limitBytes) + " MiB on device " + device.id(),
                    null);
        }
        if (!sizes.unevaluated().isEmpty()) {
            log.warn(
                    "model {}: the size of {} depends on request values in a way modelmux does not evaluate; "
                            + "runs of it are not bounded by the run limit",
                    key,
                    String.join(", ", sizes.unevaluated()));
        }
        return new RunBudget(key, sizes, limitBytes);
    }

    long limitBytes() {
        return limitBytes;
    }

    /** @throws RunMemoryExceededException when the run with these inputs would exceed the limit */
    void check(List<TensorData> inputs) {
        if (sizes.isEmpty()) {
            return;
        }
        Optional<RunSizes.Estimate> largest = sizes.largest(new RunInputs(inputs));
        if (largest.isPresent() && largest.get().bytes() > limitBytes) {
            RunSizes.Estimate e = largest.get();
            throw new RunMemoryExceededException(
                    "model '" + key.model() + "' version " + key.version() + ": the run needed more memory than the"
                            + " device's run limit of " + mib(limitBytes) + " MiB allows (" + e.describe()
                            + " would allocate " + mib(e.bytes()) + " MiB for this request's values)",
                    e.bytes(),
                    limitBytes);
        }
    }

    /** Whole MiB, rounded up (a need of 1 byte over the limit must not read as equal to it). */
    static long mib(long bytes) {
        return bytes / MIB + (bytes % MIB == 0 ? 0 : 1);
    }
}
